package dev.cnf.activities.caption;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cnf.activities.models.annotator.AnnotatorModel;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.storage.ObjectStore;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A BLIP-style captioner from a user-supplied TorchScript or ONNX encoder-decoder, decoded greedily or
 * with a beam. The folder (s3://bucket/prefix/ or a worker path) holds:
 * <ul>
 *   <li>{@code encoder.pt}: RGB {@code [1,3,S,S]} normalised with {@code mean}/{@code std} → image embeddings (any shape, batch first);</li>
 *   <li>{@code decoder.pt}: ({@code input_ids [B,T]} int64, image embeddings {@code [B,...]}) → logits {@code [B,T,V]};</li>
 *   <li>{@code vocab.txt}: one token per line (WordPiece: "##" continues a word; "[...]" tokens are special);</li>
 *   <li>{@code captioner.json}: {@code image_size}, {@code bos_id}, {@code eos_id}, {@code max_tokens}, {@code mean}, {@code std},
 *       and optionally {@code encoder}/{@code decoder} file names (e.g. {@code encoder.onnx}) instead of the .pt defaults.</li>
 * </ul>
 */
public final class ModelCaptioner implements AutoCloseable {
    private final ZooModel<NDList, NDList> encoder;
    private final ZooModel<NDList, NDList> decoder;
    private final List<String> vocab;
    private final int imageSize, bos, eos, maxTokens, beams;
    private final float[] mean, std;

    private ModelCaptioner(ZooModel<NDList, NDList> encoder, ZooModel<NDList, NDList> decoder, List<String> vocab, JsonNode cfg, int beams) {
        this.encoder = encoder;
        this.decoder = decoder;
        this.vocab = vocab;
        this.imageSize = cfg.path("image_size").asInt(384);
        this.bos = cfg.path("bos_id").asInt();
        this.eos = cfg.path("eos_id").asInt();
        this.maxTokens = cfg.path("max_tokens").asInt(30);
        this.mean = floats(cfg.path("mean"), new float[] {0.48145466f, 0.4578275f, 0.40821073f});
        this.std = floats(cfg.path("std"), new float[] {0.26862954f, 0.26130258f, 0.27577711f});
        this.beams = beams;
    }

    private static float[] floats(JsonNode n, float[] fallback) {
        if (!n.isArray() || n.size() != 3) {
            return fallback;
        }
        return new float[] {(float) n.get(0).asDouble(), (float) n.get(1).asDouble(), (float) n.get(2).asDouble()};
    }

    /** @throws IllegalArgumentException naming what is missing or unloadable */
    public static ModelCaptioner load(String folder, ObjectStore store, int beams) {
        if (folder == null || folder.isBlank()) {
            throw new IllegalArgumentException("the model captioner needs captionModel: a folder with encoder.pt, decoder.pt, vocab.txt, captioner.json");
        }
        if (beams < 1 || beams > 16) {
            throw new IllegalArgumentException("captionBeams " + beams + ": must be in [1, 16] (1 = greedy)");
        }
        String base = folder.endsWith("/") ? folder : folder + "/";
        JsonNode cfg;
        List<String> vocab;
        try {
            cfg = Json.MAPPER.readTree(Locations.read(base + "captioner.json", store));
            vocab = new String(Locations.read(base + "vocab.txt", store), StandardCharsets.UTF_8).lines().toList();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(base + "captioner.json is not JSON: " + e.getMessage());
        }
        return new ModelCaptioner(AnnotatorModel.loadModel(Locations.localFile(base + cfg.path("encoder").asText("encoder.pt"), store)),
                AnnotatorModel.loadModel(Locations.localFile(base + cfg.path("decoder").asText("decoder.pt"), store)), vocab, cfg, beams);
    }

    /** One hypothesis of the beam: tokens so far (BOS first) and their summed log-probability. */
    private record Beam(List<Long> tokens, double logProb, boolean done) {}

    /** @param encoded the training image (JPEG or PNG) */
    public String caption(byte[] encoded) {
        OpenCv.load();
        Mat bgr = Imgcodecs.imdecode(new MatOfByte(encoded), Imgcodecs.IMREAD_COLOR);
        Mat resized = new Mat();
        Imgproc.resize(bgr, resized, new Size(imageSize, imageSize), 0, 0, Imgproc.INTER_CUBIC);
        float[] chw = OpenCv.toChw(resized, 0f, 1f);
        int plane = imageSize * imageSize;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                chw[c * plane + i] = (chw[c * plane + i] - mean[c]) / std[c];
            }
        }
        try (NDManager nd = encoder.getNDManager().newSubManager();
             Predictor<NDList, NDList> enc = encoder.newPredictor();
             Predictor<NDList, NDList> dec = decoder.newPredictor()) {
            NDArray image = enc.predict(new NDList(nd.create(chw, new Shape(1, 3, imageSize, imageSize)))).get(0);
            List<Beam> live = List.of(new Beam(List.of((long) bos), 0, false));
            for (int step = 0; step < maxTokens && live.stream().anyMatch(b -> !b.done()); step++) {
                List<Beam> next = new ArrayList<>();
                for (Beam b : live) {
                    if (b.done()) {
                        next.add(b);
                        continue;
                    }
                    long[] ids = b.tokens().stream().mapToLong(Long::longValue).toArray();
                    NDArray logits = dec.predict(new NDList(nd.create(ids, new Shape(1, ids.length)), image)).get(0);
                    float[] last = logSoftmaxOfLast(logits.toFloatArray(), (int) logits.getShape().get(logits.getShape().dimension() - 1));
                    for (int t : topK(last, beams)) {
                        List<Long> tokens = new ArrayList<>(b.tokens());
                        tokens.add((long) t);
                        next.add(new Beam(tokens, b.logProb() + last[t], t == eos));
                    }
                }
                next.sort(Comparator.comparingDouble(Beam::logProb).reversed());
                live = next.subList(0, Math.min(beams, next.size()));
            }
            return detokenize(live.get(0).tokens());
        } catch (TranslateException e) {
            throw new IllegalStateException("caption model failed: " + e.getMessage(), e);
        }
    }

    /** Log-softmax of the last position's logits ([1, T, V] flattened). */
    static float[] logSoftmaxOfLast(float[] all, int vocabSize) {
        float[] out = new float[vocabSize];
        int from = all.length - vocabSize;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabSize; i++) {
            max = Math.max(max, all[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocabSize; i++) {
            sum += Math.exp(all[from + i] - max);
        }
        double log = max + Math.log(sum);
        for (int i = 0; i < vocabSize; i++) {
            out[i] = (float) (all[from + i] - log);
        }
        return out;
    }

    private static int[] topK(float[] scores, int k) {
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(scores[b], scores[a]));
        int[] out = new int[Math.min(k, idx.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    /** WordPiece: "##" pieces join the word before; bracketed special tokens are left out. */
    String detokenize(List<Long> ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            if (id == bos || id == eos || id < 0 || id >= vocab.size()) {
                continue;
            }
            String t = vocab.get((int) id);
            if (t.startsWith("[") && t.endsWith("]")) {
                continue;
            }
            if (t.startsWith("##")) {
                sb.append(t.substring(2));
            } else {
                if (sb.length() > 0) {
                    sb.append(' ');
                }
                sb.append(t);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
    }
}
