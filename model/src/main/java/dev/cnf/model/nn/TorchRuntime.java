package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One-time libtorch housekeeping: NNPACK's question when the first model is built, malloc's thresholds when the first
 * trainer is.
 *
 * <p>NNPACK: PyTorch asks whether NNPACK works the first time a convolution is not handed to oneDNN (a float64 or float16
 * one, or any on a single thread), and on CPUs NNPACK does not support it writes "Could not initialize NNPACK! Reason:
 * Unsupported hardware." to stderr from every JVM and worker process. The answer changes nothing (oneDNN or PyTorch's
 * own kernels run instead), so cnf asks that question once itself with libtorch's log threshold raised for that one call,
 * and logs one line of its own at debug level. Every other libtorch warning still prints. Where the threshold cannot be
 * found (another libtorch build) nothing is changed.
 *
 * <p>Memory: glibc's malloc hands a large freed block back to the kernel (munmap, or a trim of the heap's top), and the
 * next step's tensors of the same sizes fault their pages in again, zero-filled. glibc raises its mmap and trim
 * thresholds as large blocks come and go, and in a Python process that soon stops the returns; in the JVM they went on
 * (likely because the java launcher runs {@code main} on a second thread, which glibc gives an arena of its own): a
 * tiny-sd training step took about 18,400 page faults (diffusers' about 2,200) and three times diffusers' system time. When the first trainer is built, cnf sets the two
 * thresholds where glibc's own adjustment ends (mmap 32 MiB, trim 64 MiB): the step's peak memory is the same (mid-sd:
 * 2028 and 1973 MiB against 2032 and 2057), it is just not given back between steps (TorchRuntimeTest counts the
 * faults). Not when a model is only loaded or sampled: then memory freed stays with the process too (a closed sd15
 * ControlNet's 1.35 GiB mostly did, and the next load reused it), which a process that trains wants and one that only
 * loads need not pay. Not glibc (no {@code mallopt}): nothing changes.
 */
public final class TorchRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(TorchRuntime.class);
    private static final AtomicBoolean PREPARED = new AtomicBoolean();
    private static final AtomicBoolean MALLOC_SET = new AtomicBoolean();
    /** c10's log threshold: 0 INFO, 1 WARNING, 2 ERROR. */
    private static final int ERROR = 2;
    /** glibc's mallopt parameters (malloc.h) and the values cnf sets. */
    private static final int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;
    private static final int MMAP_THRESHOLD_MIB = 32, TRIM_THRESHOLD_MIB = 64;

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

    /**
     * Sets glibc's mmap and trim thresholds, once per process (see the class comment); a C library without mallopt is
     * left as it is.
     */
    public static void reuseFreedMemory(NDManager manager) {
        if (!"PyTorch".equals(manager.getEngine().getEngineName()) || !Platform.isLinux() || !MALLOC_SET.compareAndSet(false, true)) {
            return;
        }
        try {
            Function mallopt = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("mallopt");
            boolean mmap = mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, MMAP_THRESHOLD_MIB << 20}) == 1;
            boolean trim = mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, TRIM_THRESHOLD_MIB << 20}) == 1;
            LOG.debug("malloc thresholds: mmap {} MiB ({}), trim {} MiB ({})", MMAP_THRESHOLD_MIB, mmap ? "set" : "refused",
                    TRIM_THRESHOLD_MIB, trim ? "set" : "refused");
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.debug("no mallopt in the C library ({}); malloc's thresholds stay", e.getMessage());
        }
    }
}
