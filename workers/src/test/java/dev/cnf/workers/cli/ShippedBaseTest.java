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
 * with the demo's sampler settings (20 DDIM steps, CFG 9) for 96 captions the training data did not draw (every colour
 * pair does occur in training), the disc and the background each take the caption's colour ({@link CaptionColourCheck}:
 * found without being told where the disc is, named by the nearest palette colour), and the flat colours carry little
 * 2x2 grid.
 *
 * <p>The goal (issue 24, item 6) is 90% and no visible grid. The shipped base reaches 81 of 96 (84.4%) with a mean grid
 * energy of 5.6; the one before it (the same recipe, 6000 steps) 60 of 96 with 6.4, and the first base, trained with
 * SD1.5's ε schedule, 1 of 96 with 25.0. The bounds below guard what holds now, with room for another CPU's rounding;
 * raise them with the base.
 */
class ShippedBaseTest {
    /** At least three quarters of the samples take both of their caption's colours (measured: 81 of 96). */
    static final double MIN_MATCHED_SHARE = 0.75;
    /** Mean 2x2 checkerboard magnitude, 0..255 (measured: 5.6; the goal: about 2, below what the eye sees on a flat colour). */
    static final double GRID_LIMIT = 8.0;

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
