package dev.cnf.model.nn;

import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's grad mode is thread-local and enabled by default on every new thread; DJL disables it
 * only on the thread that loaded the engine. Code that may run on any thread (worker pools) calls
 * {@link #disableOnThisThread} before inference or optimizer updates, so no autograd graph is built
 * and in-place parameter updates are allowed. A GradientCollector re-enables it for its scope.
 */
public final class GradMode {
    private GradMode() {}

    public static void disableOnThisThread() {
        if (JniUtils.isGradMode()) {
            JniUtils.setGradMode(false);
        }
    }
}
