package dev.cnf.activities.models.annotator;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import dev.cnf.activities.imaging.OpenCv;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs a user-supplied annotator model through DJL: TorchScript ({@code .pt}, {@code .pth} traced or
 * scripted) on the PyTorch engine, ONNX ({@code .onnx}) on onnxruntime. Pre- and post-processing are
 * those of the model family it stands for; outputs are read back as plain arrays, so both engines take
 * the same path. Contracts (what an exported model must do):
 * <ul>
 *   <li>{@link Kind#DEPTH} (MiDaS-style): ImageNet-normalised RGB {@code [1,3,H,W]} → relative inverse depth
 *       {@code [1,H,W]} or {@code [1,1,H,W]}, larger = nearer.</li>
 *   <li>{@link Kind#SEG} (ADE20K-style): ImageNet-normalised RGB → logits {@code [1,150,h,w]}.</li>
 *   <li>{@link Kind#POSE} (OpenPose-style body model): BGR/256 − 0.5 → heatmaps {@code [1,18+,h,w]} in COCO-18
 *       order (a background channel after them is ignored; with several outputs the first with ≥ 18 channels is used).</li>
 * </ul>
 * H and W are the image size rounded to a multiple of 32 (what MiDaS and most backbones need); outputs are
 * resized back to the image.
 */
public final class AnnotatorModel implements AutoCloseable {
    public enum Kind { DEPTH, SEG, POSE }

    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private final Kind kind;
    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;

    private AnnotatorModel(Kind kind, ZooModel<NDList, NDList> model) {
        this.kind = kind;
        this.model = model;
        this.predictor = model.newPredictor();
    }

    /** @throws IllegalArgumentException naming the file when it is missing or not a TorchScript/ONNX model */
    public static AnnotatorModel load(Path file, Kind kind) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("annotator model " + file + " does not exist; give a TorchScript (.pt) or ONNX (.onnx) file");
        }
        return new AnnotatorModel(kind, loadModel(file));
    }

    /** TorchScript or ONNX by the file's name (a content-addressed download keeps its extension). */
    public static ZooModel<NDList, NDList> loadModel(Path file) {
        boolean onnx = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
        try {
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optModelPath(file).optEngine(onnx ? "OnnxRuntime" : "PyTorch").optTranslator(new NoopTranslator()).build();
            return criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + " could not be loaded as " + (onnx ? "ONNX" : "TorchScript") + ": " + e.getMessage(), e);
        }
    }

    public Kind kind() {
        return kind;
    }

    /** Relative inverse depth, min-max normalised to [0, 1], at the image's size (CV_32F). */
    public Mat depth(Mat bgr) {
        Mat raw;
        try (NDManager nd = model.getNDManager().newSubManager()) {
            raw = toMat(run(bgr, nd).get(0), bgr.size(), Imgproc.INTER_CUBIC);
        }
        Core.MinMaxLocResult mm = Core.minMaxLoc(raw);
        Mat out = new Mat();
        double range = mm.maxVal - mm.minVal;
        raw.convertTo(out, CvType.CV_32F, range > 0 ? 1 / range : 0, range > 0 ? -mm.minVal / range : 0);
        return out;
    }

    /** ADE20K class index per pixel (CV_32S) at the image's size. */
    public Mat classes(Mat bgr) {
        try (NDManager nd = model.getNDManager().newSubManager()) {
            NDArray logits = run(bgr, nd).get(0);
            Shape s = logits.getShape();
            int c = (int) s.get(s.dimension() - 3), h = (int) s.get(s.dimension() - 2), w = (int) s.get(s.dimension() - 1);
            float[] v = logits.toFloatArray();
            int[] arg = new int[h * w];
            for (int i = 0; i < h * w; i++) {
                int best = 0;
                for (int k = 1; k < c; k++) {
                    if (v[k * h * w + i] > v[best * h * w + i]) {
                        best = k;
                    }
                }
                arg[i] = best;
            }
            Mat small = new Mat(h, w, CvType.CV_32S);
            small.put(0, 0, arg);
            Mat full = new Mat();
            Imgproc.resize(small, full, bgr.size(), 0, 0, Imgproc.INTER_NEAREST);
            return full;
        }
    }

    /** 18 keypoints (COCO-18, OpenPose order) as {x, y, confidence} in image pixels; the heatmap maximum of each. */
    public float[][] keypoints(Mat bgr) {
        try (NDManager nd = model.getNDManager().newSubManager()) {
            NDList out = run(bgr, nd);
            NDArray maps = null;
            for (NDArray a : out) {
                if (a.getShape().dimension() == 4 && a.getShape().get(1) >= 18) {
                    maps = a;
                    break;
                }
            }
            if (maps == null) {
                throw new IllegalStateException("pose model returned no output with 18 heatmap channels: " + shapes(out));
            }
            int h = (int) maps.getShape().get(2), w = (int) maps.getShape().get(3);
            float[] all = maps.toFloatArray(); // batch 0 comes first
            float[][] points = new float[18][];
            for (int k = 0; k < 18; k++) {
                Mat heat = new Mat(h, w, CvType.CV_32F);
                float[] plane = new float[h * w];
                System.arraycopy(all, k * h * w, plane, 0, h * w);
                heat.put(0, 0, plane);
                Mat up = new Mat();
                Imgproc.resize(heat, up, bgr.size(), 0, 0, Imgproc.INTER_CUBIC);
                Core.MinMaxLocResult mm = Core.minMaxLoc(up);
                points[k] = new float[] {(float) mm.maxLoc.x, (float) mm.maxLoc.y, (float) mm.maxVal};
            }
            return points;
        }
    }

    private NDList run(Mat bgr, NDManager nd) {
        int w = round32(bgr.cols()), h = round32(bgr.rows());
        Mat resized = new Mat();
        Imgproc.resize(bgr, resized, new Size(w, h), 0, 0, Imgproc.INTER_AREA);
        float[] chw = new float[3 * h * w];
        byte[] px = new byte[h * w * 3];
        resized.get(0, 0, px);
        for (int i = 0; i < h * w; i++) {
            for (int c = 0; c < 3; c++) {
                float v = px[i * 3 + c] & 0xff; // BGR
                if (kind == Kind.POSE) {
                    chw[c * h * w + i] = v / 256f - 0.5f; // OpenPose: BGR order
                } else {
                    int rgb = 2 - c;
                    chw[rgb * h * w + i] = (v / 255f - IMAGENET_MEAN[rgb]) / IMAGENET_STD[rgb];
                }
            }
        }
        try {
            return predictor.predict(new NDList(nd.create(chw, new Shape(1, 3, h, w))));
        } catch (TranslateException e) {
            throw new IllegalStateException(kind + " annotator failed on a " + w + "x" + h + " input: " + e.getMessage(), e);
        }
    }

    /** A single-plane output ([1,H,W], [1,1,H,W] or [H,W]) as a CV_32F Mat resized to {@code size}. */
    private Mat toMat(NDArray a, Size size, int interpolation) {
        Shape s = a.getShape();
        int h = (int) s.get(s.dimension() - 2), w = (int) s.get(s.dimension() - 1);
        if (s.size() != (long) h * w) {
            throw new IllegalStateException(kind + " model must return one plane, got shape " + s);
        }
        Mat m = new Mat(h, w, CvType.CV_32F);
        m.put(0, 0, a.toFloatArray());
        Mat out = new Mat();
        Imgproc.resize(m, out, size, 0, 0, interpolation);
        return out;
    }

    private static String shapes(NDList out) {
        StringBuilder sb = new StringBuilder();
        for (NDArray a : out) {
            sb.append(a.getShape()).append(' ');
        }
        return sb.toString().strip();
    }

    private static int round32(int v) {
        return Math.max(32, (int) Math.round(v / 32.0) * 32);
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }

    static {
        OpenCv.load();
    }
}
