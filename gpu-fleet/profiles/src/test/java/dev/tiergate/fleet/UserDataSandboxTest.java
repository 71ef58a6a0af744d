package dev.tiergate.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The user-data a fleet instance runs, run: under bash, in a sandbox whose {@code docker}, {@code aws} and CloudWatch
 * agent are stand-ins that do what the real ones do (the vLLM image is the simulator started from the script's exact
 * arguments, refusing what vLLM refuses; S3 is a folder with S3's prefix semantics; the Prometheus agent's config is
 * checked by promtool). Instances boot in turn on one bucket, as a fleet's do.
 */
class UserDataSandboxTest {

    private static final TiergateConfig EXAMPLE = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));
    private static final String SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tiergate/hf-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path sandbox;
    private final List<Process> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** IMDSv2 as the launch template requires it: a session token first, and instance tags in the metadata. */
    private com.sun.net.httpserver.HttpServer imds;

    @BeforeEach
    void startMetadataService() throws IOException {
        imds = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        imds.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] body;
            int status = 200;
            if (path.equals("/latest/api/token") && ex.getRequestMethod().equals("PUT")
                    && ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds") != null) {
                body = "imds-session".getBytes(StandardCharsets.UTF_8);
            } else if (!"imds-session".equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"))) {
                status = 401;
                body = new byte[0];
            } else if (path.equals("/latest/meta-data/instance-id")) {
                body = INSTANCE_ID.getBytes(StandardCharsets.UTF_8);
            } else if (path.equals("/latest/meta-data/local-ipv4")) {
                body = "10.0.12.34".getBytes(StandardCharsets.UTF_8);
            } else if (path.equals("/latest/meta-data/tags/instance/aws:autoscaling:groupName")) {
                body = GROUP.getBytes(StandardCharsets.UTF_8);
            } else {
                status = 404;
                body = new byte[0];
            }
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) ex.getResponseBody().write(body);
            ex.close();
        });
        imds.start();
    }

    private static final String INSTANCE_ID = "i-0123456789abcdef0";
    /** The unique id IAM gave the tier's instance role; an instance's caller id is it and the instance id. */
    private static final String ROLE_ID = "AROA3XFRBF23EXAMPLE1";
    private static final String GROUP = "TiergateFleet-small-Fleet-1A2B3C";

    private List<String> lifecycleActions() throws IOException {
        Path f = sandbox.resolve("state/lifecycle-actions");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @BeforeEach
    void portIsFree() throws IOException {
        // The script serves on vLLM's port, as on an instance: a test machine using it cannot run this test.
        try (ServerSocket s = new ServerSocket(ServingProfile.PORT)) {
            assertThat(s.getLocalPort()).isEqualTo(ServingProfile.PORT);
        }
    }

    @AfterEach
    void stopServers() throws Exception {
        imds.stop(0);
        for (Path pid : pids()) ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
        for (Process p : started) p.destroyForcibly();
    }

    private List<Path> pids() throws IOException {
        Path containers = sandbox.resolve("state/containers");
        if (!Files.isDirectory(containers)) return List.of();
        try (var s = Files.list(containers)) {
            return s.filter(p -> p.toString().endsWith(".pid")).toList();
        }
    }

    private static FleetFiles files(TierConfig tier, WeightsDisk disk) {
        return new FleetFiles(ServingProfile.of(tier), "models-bucket", "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
                "eu-west-1", "Tiergate/Fleet", SECRET, "tiergate-fleet", disk);
    }

    /**
     * The NVMe disks an instance boots with: its EBS root volume, and an instance-store disk when it has one: blank, or
     * already mounted by the AMI (as the Deep Learning AMI does, at /opt/dlami/nvme), or held by something that did not
     * mount it.
     */
    private enum Disks { ROOT_ONLY, WITH_INSTANCE_STORE, MOUNTED_BY_THE_AMI, HELD_UNMOUNTED }

    private void disks(Path root, Disks disks) throws IOException {
        Path ebs = Files.createDirectories(root.resolve("sys/block/nvme0n1/device"));
        Files.writeString(ebs.resolve("model"), String.format("%-40s%n", "Amazon Elastic Block Store"));
        if (disks == Disks.ROOT_ONLY) return;
        Path store = Files.createDirectories(root.resolve("sys/block/nvme1n1/device"));
        Files.writeString(store.resolve("model"), String.format("%-40s%n", FleetFiles.INSTANCE_STORE_MODEL));
        Path dev = Files.createDirectories(root.resolve("dev")).resolve("nvme1n1");
        Files.write(dev, new byte[64]);
        if (disks == Disks.HELD_UNMOUNTED) Files.writeString(dev, "fs:linux_raid_member");
        if (disks == Disks.MOUNTED_BY_THE_AMI) amiMountsTheStore(root);
    }

    /** What the AMI does at each boot: a filesystem on the (blank) disk, mounted at its own place. */
    private void amiMountsTheStore(Path root) throws IOException {
        Path dev = root.resolve("dev/nvme1n1");
        Files.writeString(dev, "fs:ext4");
        Files.createDirectories(instanceStore(root));
        Path at = Files.createDirectories(root.resolve("opt/dlami")).resolve("nvme");
        Files.createSymbolicLink(at, instanceStore(root));
        Files.writeString(Files.createDirectories(sandbox.resolve("state")).resolve("mounts"), dev + " " + at + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    /** The instance-store disk's tree, as the mount shows it. */
    private static Path instanceStore(Path root) {
        return root.resolve("dev/nvme1n1.fs");
    }

    /** How an instance goes down: a stop erases its instance store (AWS does), a reboot keeps it. */
    private enum Down { STOP, REBOOT }

    /** The processes end and the mount goes; the root volume keeps its files. */
    private void down(Path root, Down how) throws IOException {
        for (Path pid : pids()) ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(h -> {
            h.destroy();
            h.onExit().join();
        });
        Path weights = root.resolve("opt/weights");
        if (Files.isSymbolicLink(weights)) {
            Files.delete(weights);
            Files.createDirectories(weights);
        }
        Path dev = root.resolve("dev/nvme1n1");
        Path mounts = sandbox.resolve("state/mounts");
        if (Files.exists(mounts)) {
            Files.write(mounts, Files.readAllLines(mounts).stream().filter(l -> !l.startsWith(dev + " ")).toList());
        }
        Path ami = root.resolve("opt/dlami/nvme");
        if (Files.isSymbolicLink(ami)) Files.delete(ami);
        if (how == Down.STOP && Files.exists(dev)) {
            Files.write(dev, new byte[64]);
            try (var tree = Files.walk(instanceStore(root))) {
                tree.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The next boot: each enabled unit of ours in systemd's order (before Docker, Docker's restart of vLLM, after it). */
    private String resume(Path root) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String unit : List.of("tiergate-weights.service", "docker", "tiergate-ready.service")) {
            List<String> command;
            if (unit.equals("docker")) {
                command = List.of("bash", sandbox.resolve("bin/docker").toString(), "start", "vllm");
            } else {
                assertThat(Files.readAllLines(sandbox.resolve("state/enabled-units"))).contains(unit);
                String text = Files.readString(root.resolve("etc/systemd/system/" + unit));
                String exec = text.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow().substring("ExecStart=".length());
                command = List.of("bash", root.resolve(exec.substring(1)).toString());
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("PATH", sandbox.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
            pb.environment().put("TIERGATE_ROOT", root.toString());
            pb.environment().put("SANDBOX_STATE", sandbox.resolve("state").toString());
            pb.environment().put("SANDBOX_S3", sandbox.resolve("s3").toString());
            pb.environment().put("TIERGATE_IMDS", "http://127.0.0.1:" + imds.getAddress().getPort());
            pb.environment().put("SANDBOX_CALLER_ID", ROLE_ID + ":" + INSTANCE_ID);
            Process r = pb.start();
            String text = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            out.append(text);
            assertThat(r.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(r.exitValue()).as(unit + ": " + text).isZero();
        }
        return out.toString();
    }

    private void secret(String value) throws IOException {
        Path dir = Files.createDirectories(sandbox.resolve("secrets"));
        Files.writeString(dir.resolve(SECRET.replace('/', '_').replace(':', '_')), value);
    }

    private Path stand_in(String name, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(name);
        try (InputStream in = UserDataSandboxTest.class.getResourceAsStream("/sandbox/" + name)) {
            Files.copy(in, target);
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        return target;
    }

    /** What one boot of an instance left: its exit code and log. */
    private record Boot(int exit, String log, Path root) {
        String container() throws IOException {
            Path log = root.getParent().resolve("state/containers/vllm.log");
            return Files.exists(log) ? Files.readString(log) : "";
        }
    }

    /** Boots a fresh instance (its own disk) on the shared bucket and secrets, and runs the user-data to its end. */
    private Boot boot(String instance, FleetFiles files, int gpus, Disks disks) throws Exception {
        for (Path pid : pids()) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(h -> {
                h.destroy();
                h.onExit().join();
            });
            Files.delete(pid);
        }
        Path root = Files.createDirectories(sandbox.resolve(instance));
        disks(root, disks);
        Path bin = sandbox.resolve("bin");
        if (!Files.exists(bin.resolve("docker"))) {
            for (String s : List.of("docker", "aws", "sleep", "systemctl", "blkid", "mkfs.ext4", "mount", "mountpoint", "lsblk")) stand_in(s, bin);
        }
        stand_in("amazon-cloudwatch-agent-ctl", root.resolve("opt/aws/amazon-cloudwatch-agent/bin"));
        Path script = root.resolve("user-data.sh");
        Files.writeString(script, files.userData());
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", bin + ":/usr/local/bin:/usr/bin:/bin");
        env.put("TIERGATE_ROOT", root.toString());
        env.put("SANDBOX_STATE", Files.createDirectories(sandbox.resolve("state")).toString());
        env.put("SANDBOX_S3", Files.createDirectories(sandbox.resolve("s3")).toString());
        env.put("SANDBOX_SECRETS", sandbox.resolve("secrets").toString());
        env.put("SIM_JAVA", ProcessHandle.current().info().command().orElse("java"));
        env.put("SIM_CLASSPATH", System.getProperty("java.class.path"));
        env.put("SIM_GPU_COUNT", Integer.toString(gpus));
        env.put("TIERGATE_IMDS", "http://127.0.0.1:" + imds.getAddress().getPort());
        env.put("SANDBOX_CALLER_ID", ROLE_ID + ":" + INSTANCE_ID);
        Process p = pb.start();
        started.add(p);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the user-data ended").isTrue();
        return new Boot(p.exitValue(), out, root);
    }

    private void answers(String servedModel) throws Exception {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8000/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8000/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"" + servedModel + "\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        assertThat(JSON.readTree(chat.body()).at("/choices/0/message/content").asText()).isNotBlank();
    }

    @Test
    void theFirstInstanceServesFromTheHubAndTheNextOnesFromTheCacheItLeftAllOnTheirInstanceStore() throws Exception {
        TierConfig small = EXAMPLE.tierNamed("small");
        FleetFiles files = files(small, WeightsDisk.INSTANCE_STORE);
        secret(FleetFiles.TOKEN_UNSET);

        Boot first = boot("instance-1", files, 1, Disks.WITH_INSTANCE_STORE);
        assertThat(first.exit()).as(first.log() + first.container()).isZero();
        // It took traffic only once vLLM answered: the launch hook completed with CONTINUE, through IMDSv2.
        assertThat(lifecycleActions()).containsExactly(FleetFiles.LAUNCH_HOOK + " " + GROUP + " " + INSTANCE_ID + " CONTINUE");
        // Before that it registered where it listens, in DynamoDB JSON the fleet monitor reads.
        List<String> puts = Files.readAllLines(sandbox.resolve("state/dynamodb-items"));
        assertThat(puts).hasSize(1);
        assertThat(puts.getFirst()).startsWith("tiergate-fleet ");
        com.fasterxml.jackson.databind.JsonNode item = new com.fasterxml.jackson.databind.ObjectMapper().readTree(puts.getFirst().substring("tiergate-fleet ".length()));
        // Keyed by its caller id, which the fleet monitor looks up by the tier's role id and the target's instance id.
        assertThat(item.at("/replica/S").asText()).isEqualTo("instance#" + ROLE_ID + ":" + INSTANCE_ID);
        assertThat(item.at("/ip/S").asText()).isEqualTo("10.0.12.34");
        assertThat(item.at("/tier/S").asText()).isEqualTo("small");
        assertThat(Files.readAllLines(sandbox.resolve("state/enabled-units"))).containsExactly("tiergate-weights.service", "tiergate-ready.service");
        assertThat(first.container()).contains("hub/models--hugging-quants--Meta-Llama-3.1-8B-Instruct-AWQ-INT4/snapshots/");
        // The hub's download went to the instance store, not the root volume.
        assertThat(instanceStore(first.root()).resolve("hf-cache/hub")).isDirectory();
        answers(small.model());
        // The cache is the flat model directory: config.json at the prefix's root, the marker written last.
        Path cache = sandbox.resolve("s3/models-bucket/" + ServingProfile.of(small).weightsPrefix());
        assertThat(cache.resolve("config.json")).isRegularFile();
        assertThat(cache.resolve("model.safetensors")).isRegularFile();
        assertThat(cache.resolve(FleetFiles.CACHE_COMPLETE)).isRegularFile();
        assertThat(cache.resolve("hub")).doesNotExist();

        for (String next : List.of("instance-2", "instance-3")) {
            Boot b = boot(next, files, 1, Disks.WITH_INSTANCE_STORE);
            assertThat(b.exit()).as(b.log() + b.container()).isZero();
            assertThat(b.container()).contains("(model " + b.root().resolve("opt/weights/models/current"));
            assertThat(instanceStore(b.root()).resolve("models/current/config.json")).isRegularFile();
            assertThat(instanceStore(b.root()).resolve("models/current/" + FleetFiles.CACHE_COMPLETE)).doesNotExist();
            assertThat(instanceStore(b.root()).resolve("hf-cache/hub")).as("nothing fetched from the hub").doesNotExist();
            answers(small.model());
        }

        // The agents' configs are what they were given and what promtool accepts.
        JsonNode agent = JSON.readTree(sandbox.resolve("state/cloudwatch-agent.json").toFile());
        String scrape = agent.at("/logs/metrics_collected/prometheus/prometheus_config_path").asText();
        assertThat(first.root().resolve(scrape.substring(1))).isRegularFile();
        assertThat(Files.readString(sandbox.resolve("state/containers/prometheus-agent.log"))).contains("SUCCESS");
    }

    @Test
    void aGatedModelStartsOnlyOnceItsTokenIsSetAndAFailedStartStopsTheScriptAndCachesNothing() throws Exception {
        TierConfig large = EXAMPLE.tierNamed("large");
        // On the root volume here: the other way to keep the weights runs too.
        FleetFiles files = files(large, WeightsDisk.ROOT_VOLUME);
        int gpus = large.fleet().orElseThrow().vllm().tensorParallelSize();
        secret(FleetFiles.TOKEN_UNSET);

        Boot refused = boot("instance-1", files, gpus, Disks.ROOT_ONLY);
        assertThat(refused.exit()).isNotZero();
        assertThat(lifecycleActions()).containsExactly(FleetFiles.LAUNCH_HOOK + " " + GROUP + " " + INSTANCE_ID + " ABANDON");
        assertThat(refused.log()).contains("tiergate fleet: vLLM did not answer /health");
        assertThat(refused.container()).contains("You are trying to access a gated repo");
        assertThat(sandbox.resolve("s3/models-bucket")).doesNotExist();

        secret("hf_sandbox_token");
        Boot served = boot("instance-2", files, gpus, Disks.ROOT_ONLY);
        assertThat(served.exit()).as(served.log() + served.container()).isZero();
        assertThat(served.root().resolve("opt/weights/hf-cache/hub")).isDirectory();
        assertThat(Files.isSymbolicLink(served.root().resolve("opt/weights"))).as("nothing mounted").isFalse();
        answers(large.model());
    }

    @Test
    void anInstanceWithoutTheInstanceStoreItsTierExpectsStopsWithOneClearLineAndStartsNothing() throws Exception {
        refused(Disks.ROOT_ONLY, "tiergate fleet: no instance-store NVMe disk on this instance");
    }

    /** A small-tier instance on an instance store, on these disks: its script stops with this line, nothing started. */
    private Boot refused(Disks disks, String line) throws Exception {
        secret(FleetFiles.TOKEN_UNSET);
        Boot b = boot("instance-1", files(EXAMPLE.tierNamed("small"), WeightsDisk.INSTANCE_STORE), 1, disks);
        assertThat(b.exit()).isNotZero();
        assertThat(b.log()).contains(line);
        assertThat(sandbox.resolve("state/containers")).doesNotExist();
        return b;
    }

    @Test
    void aWarmPoolInstanceResumesWithItsBlankInstanceStoreRefilledIntoAHealthyServerBeforeItTakesTraffic() throws Exception {
        TierConfig small = EXAMPLE.tierNamed("small");
        Boot warmed = secondInstance(small, Disks.WITH_INSTANCE_STORE);

        // Stopped in the warm pool: vLLM goes down with the instance and AWS erases its instance store. Resumed: the
        // weights unit formats and refills it before Docker restarts vLLM (its restart policy), and the ready unit
        // completes the hook again only once vLLM answers.
        down(warmed.root(), Down.STOP);
        assertThat(health()).isFalse();
        assertThat(instanceStore(warmed.root())).doesNotExist();
        String out = resume(warmed.root());
        assertThat(instanceStore(warmed.root()).resolve("models/current/config.json")).as(out).isRegularFile();
        assertThat(lifecycleActions()).hasSize(3).allMatch(a -> a.endsWith(" CONTINUE"));
        answers(small.model());

        // A reboot keeps the instance store: the same filesystem and weights are mounted again, nothing formatted.
        Path config = instanceStore(warmed.root()).resolve("models/current/config.json");
        long before = Files.getLastModifiedTime(config).toMillis();
        down(warmed.root(), Down.REBOOT);
        resume(warmed.root());
        assertThat(Files.getLastModifiedTime(config).toMillis()).isEqualTo(before);
        answers(small.model());
    }

    @Test
    void onAnAmiThatMountsTheInstanceStoreItselfTheWeightsGoInAFolderThereAndComeBackAfterAStop() throws Exception {
        TierConfig small = EXAMPLE.tierNamed("small");
        Boot b = secondInstance(small, Disks.MOUNTED_BY_THE_AMI);
        // Not formatted again nor mounted twice: a folder on the AMI's mount, bound where the weights live.
        assertThat(Files.readString(b.root().resolve("dev/nvme1n1"))).isEqualTo("fs:ext4");
        assertThat(instanceStore(b.root()).resolve("tiergate-weights/models/current/config.json")).isRegularFile();
        answers(small.model());

        // A stop erases the disk; at the next boot the AMI makes and mounts a new filesystem, and ours refills it.
        down(b.root(), Down.STOP);
        amiMountsTheStore(b.root());
        String out = resume(b.root());
        assertThat(instanceStore(b.root()).resolve("tiergate-weights/models/current/config.json")).as(out).isRegularFile();
        answers(small.model());
    }

    @Test
    void anInstanceStoreDiskSomethingElseHoldsUnmountedStopsTheScriptWithOneClearLine() throws Exception {
        Boot b = refused(Disks.HELD_UNMOUNTED, "holds linux_raid_member and is mounted nowhere");
        assertThat(Files.readString(b.root().resolve("dev/nvme1n1"))).as("not formatted over").isEqualTo("fs:linux_raid_member");
    }

    /** A first instance from the hub, then a second from the cache it left, both on an instance store; the second. */
    private Boot secondInstance(TierConfig tier, Disks disks) throws Exception {
        FleetFiles files = files(tier, WeightsDisk.INSTANCE_STORE);
        secret(FleetFiles.TOKEN_UNSET);
        Boot cold = boot("instance-1", files, 1, disks);
        assertThat(cold.exit()).as(cold.log() + cold.container()).isZero();
        Boot second = boot("instance-2", files, 1, disks);
        assertThat(second.exit()).as(second.log() + second.container()).isZero();
        return second;
    }

    @Test
    void aModelInTheOperatorsOwnS3FolderIsServedFromThereAndNothingIsCached() throws Exception {
        String folder = "s3://customer-models/llama-ft/";
        String yaml = read(Path.of("..", "..", "tiergate.yaml")).replace(
                "model_id: hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "model_id: " + folder);
        TierConfig small = ConfigLoader.parse(yaml, "own-s3.yaml").tierNamed("small");
        assertThat(small.fleet().orElseThrow().modelId()).isEqualTo(folder);
        secret(FleetFiles.TOKEN_UNSET);
        // Nothing there yet: the script says what is missing and starts nothing.
        Boot empty = boot("instance-1", files(small, WeightsDisk.INSTANCE_STORE), 1, Disks.WITH_INSTANCE_STORE);
        assertThat(empty.exit()).isNotZero();
        assertThat(empty.log()).contains("no config.json at the root of " + folder);
        assertThat(sandbox.resolve("state/containers")).doesNotExist();

        // A fine-tune as save_pretrained writes it (an AWQ one, as the tier's quantization says).
        Path own = Files.createDirectories(sandbox.resolve("s3/customer-models/llama-ft"));
        Files.writeString(own.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"num_attention_heads\":32,"
                + "\"max_position_embeddings\":131072,\"quantization_config\":{\"quant_method\":\"awq\",\"bits\":4}}");
        Files.writeString(own.resolve("model.safetensors"), "fine-tuned weights");
        Files.writeString(own.resolve("tokenizer.json"), "{\"model\":{\"type\":\"BPE\"}}");
        Boot b = boot("instance-2", files(small, WeightsDisk.INSTANCE_STORE), 1, Disks.WITH_INSTANCE_STORE);
        assertThat(b.exit()).as(b.log() + b.container()).isZero();
        assertThat(b.container()).contains("(model " + b.root().resolve("opt/weights/models/current"));
        assertThat(instanceStore(b.root()).resolve("models/current/model.safetensors")).isRegularFile();
        assertThat(sandbox.resolve("s3/models-bucket")).as("nothing cached: the folder is already in S3").doesNotExist();
        answers(small.model());
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p);
    }

    private boolean health() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8000/health")).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
