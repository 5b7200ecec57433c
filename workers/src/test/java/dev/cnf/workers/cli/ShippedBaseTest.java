package dev.cnf.workers.cli;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.models.BaseModels;
import dev.cnf.datasets.CaptionColourCheck;
import dev.cnf.model.BaseModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped tiny-circles base, loaded as the pipeline loads it, draws what its captions say: sampled text-to-image
 * with the demo's sampler settings (20 DDIM steps at the base's guidance scale 5.0, {@link PretrainCommand#demoSettings})
 * for 96 captions the training data did not draw (every colour pair does occur in training), the disc and the background
 * each take the caption's colour ({@link CaptionColourCheck}: found without being told where the disc is, named by the
 * nearest palette colour), and the flat colours carry little 2x2 grid.
 *
 * <p>The goal (issue 24, item 6) is 90%. Measured at sampling seed 1: 92 of 96, grid energy 4.2 (the same with oneDNN and
 * ATen held to AVX2, and to SSE4.1 / no vector ISA); seeds 2-5 give 90, 92, 89 and 94. At the paper's CFG 9 the same
 * base draws 81 of 96 (grid 5.3): this zero-terminal-SNR, v-prediction model over-saturates and shifts hues at high
 * guidance. The generator's own images score 1.1 on grid energy (from the disc's edge).
 */
class ShippedBaseTest {
    /** At least 90% of the samples take both of their caption's colours (measured: 92 of 96). */
    static final double MIN_MATCHED_SHARE = 0.90;
    /** Mean 2x2 checkerboard magnitude, 0..255 (measured: 4.2; the generator's own flat images: 1.1). */
    static final double GRID_LIMIT = 5.0;

    @Test
    void theShippedBaseDrawsItsCaptionsColours() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModel base = BaseModels.load("tiny-circles", "tiny", 64, null, manager).model();
            List<CaptionColourCheck.Verdict> verdicts = PretrainCommand.colourCheck(base, manager, PretrainCommand.COLOUR_CHECK_PROMPTS, 1);
            List<CaptionColourCheck.Verdict> wrong = verdicts.stream().filter(v -> !v.matches()).toList();
            String listed = wrong.stream().map(Object::toString).collect(Collectors.joining("\n  ", "\n  ", ""));
            assertTrue(verdicts.size() - wrong.size() >= MIN_MATCHED_SHARE * verdicts.size(),
                    wrong.size() + " of " + verdicts.size() + " samples miss their caption's colours:" + listed);
            double grid = verdicts.stream().mapToDouble(CaptionColourCheck.Verdict::gridEnergy).average().orElseThrow();
            assertTrue(grid <= GRID_LIMIT, "the samples carry a 2x2 grid of mean magnitude " + grid + " (0..255), above " + GRID_LIMIT);
        }
    }
}
