package dev.tiergate.sim;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * The simulator started as a vLLM container starts: {@code vllm serve MODEL [flags]} (the image's entrypoint), so the
 * exact command line a fleet instance renders can be run and refused as vLLM would. The number of GPUs comes from
 * {@code SIM_GPU_COUNT} (the stand-in for the machine's GPUs; 1 by default).
 */
public final class VllmServe {

    private VllmServe() {}

    public static void main(String[] args) throws Exception {
        int gpus = Integer.parseInt(System.getenv().getOrDefault("SIM_GPU_COUNT", "1"));
        VllmLaunch.Outcome outcome = VllmLaunch.parse(List.of(args), System.getenv(), gpus, Path.of(System.getProperty("user.home")));
        switch (outcome) {
            case VllmLaunch.Refused r -> {
                System.err.println(r.message());
                System.exit(r.exitCode());
            }
            case VllmLaunch.Serve s -> {
                InetAddress host = InetAddress.getByName(s.host().equals("0.0.0.0") ? "127.0.0.1" : s.host());
                SimulatedReplica replica = SimulatedReplica.start(s.settings().toBuilder().timeScale(0).build(), host, s.port(),
                        new PromptTokenizer());
                System.out.println("INFO Starting vLLM API server on http://" + s.host() + ":" + s.port() + " (model " + s.modelDir() + ")");
                Runtime.getRuntime().addShutdownHook(new Thread(replica::close));
                Thread.currentThread().join();
            }
        }
    }
}
