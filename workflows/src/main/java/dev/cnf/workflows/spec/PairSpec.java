package dev.cnf.workflows.spec;

import java.util.List;

/**
 * The user's own (image, condition, caption) pairs, in one of the layouts ControlNet trainers read. With pairs, the
 * sources name the dataset (a file, folder or prefix, per format) and no condition is extracted: the given one is
 * checked, resized and cropped exactly as its image, and trained on. Null fields mean the format's own defaults.
 *
 * @param format          {@code prompt-json} (lllyasviel's {@code prompt.json} lines of {@code source}, {@code target},
 *                        {@code prompt}; paths relative to the file's folder), {@code imagefolder} (a Hugging Face imagefolder's
 *                        {@code metadata.jsonl} or {@code metadata.csv}), {@code parquet} (Parquet files as {@code datasets}
 *                        writes them, images as {bytes, path} structs; a file, or a folder or prefix of them),
 *                        {@code webdataset} (tar files, or a folder or prefix of them: members {@code <key>.<column>}) or
 *                        {@code kohya} (an image folder; conditions under {@code conditioningDir} with the same file stems,
 *                        captions in {@code <stem>.txt} or {@code <stem>.caption} beside the images)
 * @param conditioningDir kohya only: the folder of conditions (local path, s3://bucket/prefix)
 * @param imageColumn     the image's column (metadata and Parquet: {@code image}, whose imagefolder file column is
 *                        {@code file_name}; prompt-json: {@code target}; webdataset: {@code jpg;jpeg;png;webp}, the first
 *                        present)
 * @param conditioningImageColumn the condition's column ({@code conditioning_image}, in imagefolder metadata its
 *                        {@code conditioning_image_file_name}; prompt-json: {@code source}; webdataset:
 *                        {@code <condition>.png;<condition>.jpg})
 * @param captionColumn   the caption's column ({@code text}; prompt-json: {@code prompt}; webdataset: {@code txt}); a pair
 *                        without one is captioned by the run's captioner
 */
public record PairSpec(String format, String conditioningDir, String imageColumn, String conditioningImageColumn, String captionColumn) {
    public static final List<String> FORMATS = List.of("prompt-json", "imagefolder", "parquet", "webdataset", "kohya");

    public PairSpec {
        format = Checks.stripped(format);
        conditioningDir = Checks.stripped(conditioningDir);
        imageColumn = Checks.stripped(imageColumn);
        conditioningImageColumn = Checks.stripped(conditioningImageColumn);
        captionColumn = Checks.stripped(captionColumn);
    }

    /** The image column, defaulted per format. */
    public String image() {
        return !imageColumn.isEmpty() ? imageColumn : switch (format) {
            case "prompt-json" -> "target";
            case "webdataset" -> "jpg;jpeg;png;webp";
            default -> "image";
        };
    }

    /** The condition column, defaulted per format; {@code condition} is the run's condition name. */
    public String conditioningImage(String condition) {
        return !conditioningImageColumn.isEmpty() ? conditioningImageColumn : switch (format) {
            case "prompt-json" -> "source";
            case "webdataset" -> condition + ".png;" + condition + ".jpg";
            default -> "conditioning_image";
        };
    }

    /** The caption column, defaulted per format. */
    public String caption() {
        return !captionColumn.isEmpty() ? captionColumn : switch (format) {
            case "prompt-json" -> "prompt";
            case "webdataset" -> "txt";
            default -> "text";
        };
    }

    /** Local paths (absolute, or file:), s3://bucket/prefix or http(s) URLs. */
    static boolean isSource(String s) {
        return s.startsWith("http://") || s.startsWith("https://") || s.startsWith("/") || s.startsWith("file:/")
                || s.matches("s3://[a-z0-9][a-z0-9.-]{1,62}(/.*)?");
    }

    void addProblems(List<String> p, List<String> sources) {
        Checks.oneOf(p, "pairs.format", format, FORMATS);
        if (sources.isEmpty()) {
            p.add("pairs: name the dataset in 'sources' (" + switch (format) {
                case "prompt-json" -> "the prompt.json file";
                case "imagefolder" -> "the metadata.jsonl or metadata.csv file";
                case "parquet" -> "a .parquet file, or a folder or prefix of them";
                case "webdataset" -> "a .tar file, or a folder or prefix of them";
                default -> "the image folder";
            } + ")");
        }
        if (format.equals("kohya")) {
            if (conditioningDir.isEmpty()) {
                p.add("pairs.conditioningDir: kohya's layout needs the folder of conditions (same file stems as the images)");
            } else if (conditioningDir.startsWith("http") || !isSource(conditioningDir)) {
                p.add("pairs.conditioningDir '" + conditioningDir + "': use an absolute path on the workers or s3://bucket/prefix");
            }
            for (String s : sources) {
                if (s.startsWith("http")) {
                    p.add("sources: '" + s + "': kohya's layout is a folder, which http(s) cannot list; use a worker path or s3://");
                }
            }
        } else if (!conditioningDir.isEmpty()) {
            p.add("pairs.conditioningDir: only the kohya format has one (this is " + format + ")");
        }
        for (String column : List.of(imageColumn, conditioningImageColumn, captionColumn)) {
            if (!column.matches("[A-Za-z0-9_.;-]*")) {
                p.add("pairs column '" + column + "': use letters, digits, '_', '.', '-' (';' between webdataset alternatives)");
            }
        }
    }
}
