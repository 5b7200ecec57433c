package dev.cnf.workers.cli;

import dev.cnf.workers.embedded.EmbeddedStack;
import dev.cnf.workflows.pipeline.PipelineInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Everything in one process on CPU: Temporal test server, S3Proxy, the local gallery, one worker; then one run. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on the embedded default (in-process Temporal, S3Proxy, local gallery, tiny model).")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = ".cnf", description = "where the embedded S3 keeps its files (default ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--bucket", defaultValue = "cnf", description = "bucket (default ${DEFAULT-VALUE})")
    String bucket;

    @Option(names = "--gallery-images", defaultValue = "48", description = "good images the local gallery serves (default ${DEFAULT-VALUE})")
    int galleryImages;

    @Mixin
    InputOptions inputOptions;

    @Override
    public Integer call() throws Exception {
        if (galleryImages < 2 || galleryImages > 10_000) {
            throw new IllegalArgumentException("--gallery-images must be in [2, 10000], got " + galleryImages);
        }
        PipelineInput input = inputOptions.resolve();
        long t0 = System.nanoTime();
        System.out.println("cnf demo: starting Temporal test server, S3Proxy (" + dataDir.resolve("s3").toAbsolutePath()
                + "), local gallery and worker");
        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, bucket, galleryImages, 128)) {
            System.out.println("  temporal " + stack.temporal.target() + "   s3 " + stack.s3.endpoint() + "   gallery " + stack.gallery.url());
            String id = RunCommand.newWorkflowId(input.name());
            RunCommand.start(stack.client, input, id);
            System.out.println("  workflow " + id);
            int code = RunCommand.printResult(stack.client, id, false);
            System.out.printf("  files under %s (S3Proxy's filesystem backend; read them through S3)%n",
                    dataDir.resolve("s3").resolve(bucket).toAbsolutePath());
            System.out.printf("cnf demo: finished in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            return code;
        }
    }
}
