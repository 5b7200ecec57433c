package dev.cnf.workers.cli;

import dev.cnf.activities.dataset.ImageFolderExport;
import dev.cnf.activities.storage.S3Location;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** A run's finished dataset, taken out of cnf in the layouts other trainers read. */
@Command(name = "dataset", mixinStandardHelpOptions = true, description = "Export a run's dataset (its WebDataset shards).",
        subcommands = {DatasetCommand.Export.class})
public final class DatasetCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a dataset as a Hugging Face imagefolder (images/, conditioning_images/, metadata.jsonl with file_name,"
                    + " conditioning_image_file_name, text), as datasets.load_dataset(\"imagefolder\") and diffusers' train_controlnet.py read it.")
    static final class Export implements Callable<Integer> {
        @Mixin
        ModelsCommand.Source source;

        @Parameters(index = "0", paramLabel = "DATASET", description = "the dataset: s3://BUCKET/runs/<run>/dataset/ or its manifest.jsonl"
                + " (the run's manifestUri)")
        String dataset;

        @Option(names = "--to", required = true, description = "an empty or new folder to write the imagefolder into")
        Path to;

        @Override
        public Integer call() throws Exception {
            if (!dataset.startsWith("s3://") || dataset.indexOf('/', 5) < 0) {
                System.err.println("cnf: DATASET must be s3://BUCKET/<prefix>/dataset/ (a run's manifestUri also works), not " + dataset);
                return CnfCli.EXIT_USAGE;
            }
            if (Files.isDirectory(to)) {
                try (var entries = Files.list(to)) {
                    if (entries.findAny().isPresent()) {
                        System.err.println("cnf: --to " + to + " is not empty; name a new or empty folder");
                        return CnfCli.EXIT_USAGE;
                    }
                }
            }
            S3Location location = S3Location.of(dataset);
            source.storage.bucket = location.bucket();
            String prefix = location.key().replaceFirst("/manifest\\.jsonl$", "").replaceFirst("/+$", "");
            try (ModelsCommand.Source.Opened opened = source.open()) {
                int n = ImageFolderExport.export(opened.store(), prefix, to);
                System.out.println("exported " + n + " pairs to " + to.toAbsolutePath() + " (load with datasets.load_dataset(\"imagefolder\", data_dir=...))");
            }
            return 0;
        }
    }
}
