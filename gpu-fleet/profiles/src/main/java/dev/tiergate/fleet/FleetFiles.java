package dev.tiergate.fleet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The files a tier's EC2 instances start from, rendered from its {@link ServingProfile}: the user-data script, the
 * CloudWatch agent config (scrapes vLLM's {@code /metrics} every 10 s and publishes queue depth, running requests and
 * KV-cache use per tier (standard one-minute resolution): the autoscaling signal and the alarms' source) and the Prometheus
 * agent config (remote-writes vLLM's metrics to Amazon Managed Prometheus with SigV4).
 *
 * <p>The script is the one an instance runs, and the tests run it too, in a sandbox: {@code TIERGATE_ROOT} (unset on an
 * instance) roots its files there, and stand-ins for {@code docker}, {@code aws} and the CloudWatch agent are on its path.
 *
 * @param modelsBucket   where model weights are cached, so instances after the first skip the download from the hub
 * @param remoteWriteUrl the AMP workspace's remote-write URL
 * @param namespace      the CloudWatch namespace of the fleet metrics
 * @param hfTokenSecret  the Secrets Manager secret holding the Hugging Face token (gated models need one)
 * @param weightsDisk    where the instance keeps the weights
 */
public record FleetFiles(ServingProfile profile, String modelsBucket, String remoteWriteUrl, String region, String namespace,
                         String hfTokenSecret, String fleetTable, WeightsDisk weightsDisk) {

    /** What the token secret holds until its owner sets it: no token. */
    public static final String TOKEN_UNSET = "unset";
    /** The Auto Scaling lifecycle hook an instance completes once vLLM answers: until then it takes no traffic. */
    public static final String LAUNCH_HOOK = "tiergate-launch";
    /** Written last into the weights cache: a cache without it is incomplete and not used. */
    public static final String CACHE_COMPLETE = "tiergate-cache-complete";

    public static final String PROMETHEUS_AGENT_IMAGE = "quay.io/prometheus/prometheus:v2.53.2";

    /** Single-quoted for bash: nothing inside is expanded. */
    static String q(String s) {
        return "'" + s.replace("'", "'\"'\"'") + "'";
    }

    public String userData() {
        ServingProfile p = profile;
        // One flag per line, with its value beside it.
        List<String> lines = new java.util.ArrayList<>();
        List<String> f = p.flags();
        for (int i = 0; i < f.size(); i++) {
            boolean hasValue = i + 1 < f.size() && !f.get(i + 1).startsWith("--");
            lines.add(hasValue ? q(f.get(i)) + " " + q(f.get(++i)) : q(f.get(i)));
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("TIER_NAME", p.tier());
        values.put("TIER", q(p.tier()));
        values.put("TIER_JSON", "\"" + p.tier() + "\"");
        values.put("MODEL_ID", q(p.modelId()));
        values.put("WEIGHTS_CACHE", q(p.weightsFolder(modelsBucket).uri()));
        // A cache is whole once its marker is written; the operator's own folder, once it has a config.json.
        values.put("READY_MARK", p.ownFolder().isPresent() ? "config.json" : CACHE_COMPLETE);
        values.put("WEIGHTS_DISK", weightsDisk.scriptValue());
        values.put("HF_TOKEN_SECRET", q(hfTokenSecret));
        values.put("IMAGE", q(p.image()));
        values.put("MARKER", CACHE_COMPLETE);
        values.put("TOKEN_UNSET", TOKEN_UNSET);
        values.put("PORT", Integer.toString(ServingProfile.PORT));
        values.put("FLAGS", String.join(" \\\n    ", lines));
        values.put("SCRAPE", prometheusScrape());
        values.put("CW_AGENT", cloudWatchAgent());
        values.put("PROM_AGENT", prometheusAgent());
        values.put("PROM_IMAGE", PROMETHEUS_AGENT_IMAGE);
        values.put("HOOK", LAUNCH_HOOK);
        values.put("FLEET_TABLE", q(fleetTable));
        values.put("INSTANCE_STORE_MODEL", INSTANCE_STORE_MODEL);
        String script = USER_DATA;
        for (Map.Entry<String, String> v : values.entrySet()) script = script.replace("{{" + v.getKey() + "}}", v.getValue());
        if (script.contains("{{")) throw new IllegalStateException("user-data placeholder left: " + script.substring(script.indexOf("{{")));
        return script;
    }

    /** What an instance-store disk's NVMe controller calls itself (its {@code model} in sysfs); EBS volumes say otherwise. */
    public static final String INSTANCE_STORE_MODEL = "Amazon EC2 NVMe Instance Storage";

    /**
     * The script, with {@code {{NAME}}} for what {@link #userData()} fills in. {@code ROOT} is empty on an instance; the
     * sandbox test sets it. The weights live under {@code /opt/weights} ({@code models/current}: the flat model
     * directory; {@code hf-cache}: the hub's cache), on the instance store or the root volume ({@link WeightsDisk}).
     */
    private static final String USER_DATA = """
            #!/bin/bash
            # tiergate fleet instance for tier {{TIER_NAME}}: rendered by gpu-fleet/profiles from tiergate.yaml; do not edit.
            set -euo pipefail
            ROOT="${TIERGATE_ROOT:-}"
            mkdir -p "$ROOT/var/log"
            exec > >(tee -a "$ROOT/var/log/tiergate-fleet.log") 2>&1
            fail() { echo "tiergate fleet: $*" >&2; exit 1; }

            TIER={{TIER}}
            MODEL_ID={{MODEL_ID}}
            WEIGHTS_CACHE={{WEIGHTS_CACHE}}
            HF_TOKEN_SECRET={{HF_TOKEN_SECRET}}
            IMAGE={{IMAGE}}
            WEIGHTS="$ROOT/opt/weights"
            mkdir -p "$ROOT/etc/tiergate" "$ROOT/usr/local/bin" "$ROOT/etc/systemd/system"

            # 1. The weights' disk, and the weights from S3 (fast, in-region): the model's own folder when it is one, or
            #    the fleet's cache once complete; else from the Hugging Face hub, cached once served. Either is a flat
            #    model directory (config.json at its root), which is what vllm serve DIR needs. This runs again at every
            #    boot, before Docker restarts vLLM: an instance store is empty after a stop (a warm-pool instance resuming).
            cat > "$ROOT/usr/local/bin/tiergate-weights" <<'TIERGATE_EOF'
            #!/bin/bash
            set -euo pipefail
            ROOT="${TIERGATE_ROOT:-}"
            WEIGHTS="$ROOT/opt/weights"
            WEIGHTS_CACHE={{WEIGHTS_CACHE}}
            fail() { echo "tiergate fleet: $*" >&2; exit 1; }
            mkdir -p "$WEIGHTS"
            if [ {{WEIGHTS_DISK}} = instance-store ] && ! mountpoint -q "$WEIGHTS"; then
              DISKS=()
              for m in "$ROOT"/sys/block/nvme*n1/device/model; do
                [ -f "$m" ] || continue
                if [ "$(sed 's/ *$//' "$m")" = '{{INSTANCE_STORE_MODEL}}' ]; then d="${m%/device/model}"; DISKS+=("$ROOT/dev/${d##*/}"); fi
              done
              [ ${#DISKS[@]} -gt 0 ] || fail "no instance-store NVMe disk on this instance, where this tier's weights are meant to live"
              # The AMI may set the store up itself (the Deep Learning AMI mounts it, striped, at /opt/dlami/nvme): then
              # the weights live in a folder on that mount.
              STORE="$(lsblk -nro MOUNTPOINT "${DISKS[@]}" | grep -m1 . || true)"
              if [ -n "$STORE" ]; then
                mkdir -p "$STORE/tiergate-weights"
                mount --bind "$STORE/tiergate-weights" "$WEIGHTS" || fail "cannot bind $STORE/tiergate-weights on $WEIGHTS"
              else
                DEV="${DISKS[0]}"
                # After a stop the disk is blank: a new filesystem. After a reboot it keeps ours, and the weights.
                case "$(blkid -o value -s TYPE "$DEV" || true)" in
                  "") mkfs.ext4 -F -q -m 0 "$DEV" || fail "cannot format $DEV" ;;
                  ext4) ;;
                  *) fail "instance-store disk $DEV holds $(blkid -o value -s TYPE "$DEV") and is mounted nowhere: something else set it up" ;;
                esac
                mount -o noatime "$DEV" "$WEIGHTS" || fail "cannot mount $DEV on $WEIGHTS"
              fi
            fi
            mkdir -p "$WEIGHTS/models" "$WEIGHTS/hf-cache"
            if [ ! -f "$WEIGHTS/models/current/config.json" ] && aws s3 ls "${WEIGHTS_CACHE}{{READY_MARK}}" >/dev/null 2>&1; then
              # Into a side directory, renamed once whole: an interrupted copy is never taken for the model.
              rm -rf "$WEIGHTS/models/current" "$WEIGHTS/models/partial"
              aws s3 sync "$WEIGHTS_CACHE" "$WEIGHTS/models/partial" --exclude {{MARKER}} --only-show-errors \\
                || fail "could not copy the weights from $WEIGHTS_CACHE"
              mv "$WEIGHTS/models/partial" "$WEIGHTS/models/current"
            fi
            TIERGATE_EOF
            chmod +x "$ROOT/usr/local/bin/tiergate-weights"
            cat > "$ROOT/etc/systemd/system/tiergate-weights.service" <<TIERGATE_EOF
            [Unit]
            Description=tiergate: the model weights' disk, and the weights from the cache
            Wants=network-online.target
            After=network-online.target local-fs.target
            Before=docker.service

            [Service]
            Type=oneshot
            TimeoutStartSec=2h
            ExecStart=/usr/local/bin/tiergate-weights

            [Install]
            WantedBy=multi-user.target
            TIERGATE_EOF
            systemctl enable tiergate-weights.service
            "$ROOT/usr/local/bin/tiergate-weights"
            if [ -f "$WEIGHTS/models/current/config.json" ]; then
              MODEL_SOURCE=/opt/models/current
            elif [[ "$MODEL_ID" == s3://* ]]; then
              fail "no config.json at the root of $MODEL_ID: the model must be a flat folder (what save_pretrained writes)"
            else
              MODEL_SOURCE="$MODEL_ID"
              CACHE_AFTER_START=1
            fi

            # 2. The Hugging Face token, for gated models (set the secret's value; until then it holds '{{TOKEN_UNSET}}').
            HF_TOKEN="$(aws secretsmanager get-secret-value --secret-id "$HF_TOKEN_SECRET" --query SecretString --output text)" \\
              || fail "cannot read the Hugging Face token secret $HF_TOKEN_SECRET"
            if [ "$HF_TOKEN" = '{{TOKEN_UNSET}}' ]; then HF_TOKEN=""; fi
            export HF_TOKEN

            # 3. The vLLM OpenAI server on port {{PORT}}, every GPU, restarted by Docker if it dies.
            docker pull "$IMAGE"
            docker run -d --name vllm --restart unless-stopped --gpus all --ipc=host -p {{PORT}}:{{PORT}} -e HF_TOKEN \\
              -v "$WEIGHTS/models:/opt/models" -v "$WEIGHTS/hf-cache:/root/.cache/huggingface" \\
              "$IMAGE" "$MODEL_SOURCE" --host 0.0.0.0 --port {{PORT}} \\
                {{FLAGS}}

            # 4. CloudWatch agent: vLLM's queue depth, running requests and KV-cache use, every 10 s.
            cat > "$ROOT/etc/tiergate/prometheus-scrape.yml" <<'TIERGATE_EOF'
            {{SCRAPE}}
            TIERGATE_EOF
            cat > "$ROOT/etc/tiergate/cloudwatch-agent.json" <<'TIERGATE_EOF'
            {{CW_AGENT}}
            TIERGATE_EOF
            "$ROOT/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" -a fetch-config -m ec2 -s \\
              -c "file:$ROOT/etc/tiergate/cloudwatch-agent.json"

            # 5. Prometheus agent: vLLM's metrics to Amazon Managed Prometheus (SigV4, the instance role).
            cat > "$ROOT/etc/tiergate/prometheus-agent.yml" <<'TIERGATE_EOF'
            {{PROM_AGENT}}
            TIERGATE_EOF
            docker run -d --name prometheus-agent --restart unless-stopped --network host \\
              -v "$ROOT/etc/tiergate:/etc/tiergate:ro" {{PROM_IMAGE}} \\
              --config.file=/etc/tiergate/prometheus-agent.yml --enable-feature=agent --storage.agent.path=/tmp/agent

            # 6. Ready: once vLLM answers /health, complete the launch lifecycle hook (CONTINUE: the instance goes
            #    InService, or into the warm pool); if it never answers, ABANDON it (Auto Scaling replaces it). The same
            #    script runs at every later boot (a warm-pool instance resuming), after Docker has restarted vLLM.
            cat > "$ROOT/usr/local/bin/tiergate-ready" <<'TIERGATE_EOF'
            #!/bin/bash
            set -euo pipefail
            IMDS="${TIERGATE_IMDS:-http://169.254.169.254}"
            TOKEN="$(curl -fsS -X PUT "$IMDS/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"
            meta() { curl -fsS -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1"; }
            INSTANCE_ID="$(meta instance-id)"
            GROUP="$(meta tags/instance/aws:autoscaling:groupName)"
            complete() {
              aws autoscaling complete-lifecycle-action --lifecycle-hook-name {{HOOK}} --auto-scaling-group-name "$GROUP" \\
                --instance-id "$INSTANCE_ID" --lifecycle-action-result "$1"
            }
            # The gateway dispatches to this instance directly once the fleet monitor finds it healthy in the target
            # group; a target carries only the instance id, so the instance says where it listens. Under its caller id
            # (<role id>:<instance id>): the one key its role may write, so no instance registers for another.
            register() {
              local caller
              caller="$(aws sts get-caller-identity --query UserId --output text)" \\
                && aws dynamodb put-item --table-name {{FLEET_TABLE}} --item '{"replica":{"S":"instance#'"$caller"'"},"ip":{"S":"'"$(meta local-ipv4)"'"},"tier":{"S":{{TIER_JSON}}}}' \\
                || echo "tiergate fleet: could not register this instance's address; it serves through the load balancer only" >&2
            }
            for i in $(seq 1 180); do
              if curl -fsS "http://127.0.0.1:{{PORT}}/health" >/dev/null 2>&1; then register; complete CONTINUE; exit 0; fi
              sleep 10
            done
            complete ABANDON || true
            echo "tiergate fleet: vLLM did not answer /health in 30 minutes; see: docker logs vllm" >&2
            exit 1
            TIERGATE_EOF
            chmod +x "$ROOT/usr/local/bin/tiergate-ready"
            cat > "$ROOT/etc/systemd/system/tiergate-ready.service" <<TIERGATE_EOF
            [Unit]
            Description=tiergate: complete the Auto Scaling launch hook once vLLM answers
            After=docker.service
            Requires=docker.service

            [Service]
            Type=oneshot
            ExecStart=/usr/local/bin/tiergate-ready

            [Install]
            WantedBy=multi-user.target
            TIERGATE_EOF
            systemctl enable tiergate-ready.service
            "$ROOT/usr/local/bin/tiergate-ready" || fail "vLLM did not answer /health in 30 minutes; see: docker logs vllm"

            # 7. Cache the served snapshot for the next instances: flat files (links followed), the marker last.
            if [ "${CACHE_AFTER_START:-0}" = 1 ]; then
              SNAPSHOT="$(ls -d "$WEIGHTS/hf-cache/hub/models--${MODEL_ID//\\//--}/snapshots/"*/ 2>/dev/null | head -n 1)"
              if [ -n "$SNAPSHOT" ] && [ -f "${SNAPSHOT}config.json" ]; then
                aws s3 sync "$SNAPSHOT" "$WEIGHTS_CACHE" --only-show-errors \\
                  && echo done | aws s3 cp - "${WEIGHTS_CACHE}{{MARKER}}" --only-show-errors \\
                  || echo "tiergate fleet: weights not cached (exit $?); the next instance downloads them again"
              else
                echo "tiergate fleet: no hub snapshot of $MODEL_ID to cache"
              fi
            fi
            echo "tiergate fleet: tier $TIER serving"
            """;

    /** The vLLM metrics the CloudWatch agent publishes: what scaling and the fleet alarms read. */
    public static final List<String> CLOUDWATCH_METRICS = List.of("vllm:num_requests_waiting", "vllm:num_requests_running",
            "vllm:kv_cache_usage_perc");

    public String prometheusScrape() {
        return """
                global:
                  scrape_interval: 10s
                  scrape_timeout: 5s
                scrape_configs:
                  - job_name: vllm
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                        labels:
                          tier: '%s'""".formatted(ServingProfile.PORT, profile.tier());
    }

    /** The CloudWatch agent's JSON: Prometheus scraping with an EMF processor, dimension {@code tier}. */
    public String cloudWatchAgent() {
        String selectors = CLOUDWATCH_METRICS.stream().map(m -> "\"^" + m + "$\"").collect(Collectors.joining(", "));
        return """
                {
                  "agent": {"metrics_collection_interval": 10},
                  "logs": {
                    "metrics_collected": {
                      "prometheus": {
                        "log_group_name": "/tiergate/fleet/%s/prometheus",
                        "prometheus_config_path": "/etc/tiergate/prometheus-scrape.yml",
                        "emf_processor": {
                          "metric_namespace": "%s",
                          "metric_declaration": [
                            {"source_labels": ["job"], "label_matcher": "^vllm$", "dimensions": [["tier"]],
                             "metric_selectors": [%s]}
                          ]
                        }
                      }
                    },
                    "force_flush_interval": 10
                  }
                }""".formatted(profile.tier(), namespace, selectors);
    }

    /** Prometheus in agent mode: scrape vLLM, remote-write to AMP with SigV4 (service aps, the instance's role). */
    public String prometheusAgent() {
        return """
                global:
                  scrape_interval: 15s
                  external_labels:
                    tier: '%s'
                scrape_configs:
                  - job_name: vllm
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                remote_write:
                  - url: '%s'
                    sigv4:
                      region: '%s'
                    queue_config:
                      max_samples_per_send: 1000
                      max_shards: 10""".formatted(profile.tier(), ServingProfile.PORT, remoteWriteUrl, region);
    }
}
