package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One-time libtorch housekeeping, done when the first model is built.
 *
 * <p>NNPACK: PyTorch asks whether NNPACK works the first time a convolution is not handed to oneDNN (a float64 or float16
 * one, or any on a single thread), and on CPUs NNPACK does not support it writes "Could not initialize NNPACK! Reason:
 * Unsupported hardware." to stderr from every JVM and worker process. The answer changes nothing (oneDNN or PyTorch's
 * own kernels run instead), so cnf asks that question once itself with libtorch's log threshold raised for that one call,
 * and logs one line of its own at debug level. Every other libtorch warning still prints. Where the threshold cannot be
 * found (another libtorch build) nothing is changed.
 */
public final class TorchRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(TorchRuntime.class);
    private static final AtomicBoolean PREPARED = new AtomicBoolean();
    /** c10's log threshold: 0 INFO, 1 WARNING, 2 ERROR. */
    private static final int ERROR = 2;

    private TorchRuntime() {}

    /** Runs the one-time steps on the first call with a PyTorch manager; later calls return at once. */
    public static void prepare(NDManager manager) {
        if (!"PyTorch".equals(manager.getEngine().getEngineName()) || !PREPARED.compareAndSet(false, true)) {
            return;
        }
        Pointer level;
        try {
            // the very file the engine loaded (dlopen of a loaded path returns that copy), never another libc10 on the system
            Path c10 = Path.of(LibUtils.getLibtorchPath(), "libc10.so");
            if (!Files.isRegularFile(c10)) {
                LOG.debug("no {}; NNPACK's availability warning, if any, stays", c10);
                return;
            }
            level = NativeLibrary.getInstance(c10.toString()).getGlobalVariableAddress("FLAGS_caffe2_log_level");
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.debug("libtorch's log threshold not found ({}); NNPACK's availability warning, if any, stays", e.getMessage());
            return;
        }
        int before = level.getInt(0);
        level.setInt(0, Math.max(before, ERROR));
        try (NDManager m = manager.newSubManager()) {
            GradMode.disableOnThisThread();
            // float64 never goes to oneDNN, so PyTorch checks NNPACK here, once per process
            NDArray x = m.ones(new Shape(1, 1, 1, 1), DataType.FLOAT64);
            Conv2d.conv2d(x, x, m.zeros(new Shape(1), DataType.FLOAT64), new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1).close();
        } finally {
            level.setInt(0, before);
        }
        LOG.debug("libtorch ready: NNPACK's availability checked once, quietly");
    }
}
