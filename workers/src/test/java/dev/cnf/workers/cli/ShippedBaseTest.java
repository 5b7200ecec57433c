package dev.cnf.workers.cli;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.models.BaseModels;
import dev.cnf.datasets.CaptionColourCheck;
import dev.cnf.datasets.Pixels;
import dev.cnf.datasets.SyntheticCircles;
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
 * nearest palette colour), and the samples carry no more 2x2 grid than the generator's own images of the same captions.
 *
 * <p>The goal (issue 24, item 6) is 90%. Measured at sampling seed 1: 92 of 96 (the same with oneDNN and ATen held to
 * AVX2, and to SSE4.1 / no vector ISA); seeds 2-5 give 90, 92, 89 and 94. At the paper's CFG 9 the same base draws 81 of
 * 96: this zero-terminal-SNR, v-prediction model over-saturates and shifts hues at high guidance. Grid energy: 0.83
 * against the generator's 1.10 (its disc edges); 4.16, a dotted texture visible at 2x zoom, before the codec's decoder
 * shrank each cell's detail ({@link dev.cnf.model.vae.SpaceToDepthCodec}).
 */
class ShippedBaseTest {
    /** At least 90% of the samples take both of their caption's colours (measured: 92 of 96). */
    static final double MIN_MATCHED_SHARE = 0.90;
    /** Mean 2x2 checkerboard magnitude of the samples over the generator's images' (measured: 0.83 / 1.10 = 0.75). */
    static final double MAX_GRID_OVER_GENERATOR = 1.0;

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
            double generatorGrid = SyntheticCircles.generate(PretrainCommand.COLOUR_CHECK_PROMPTS, 64, PretrainCommand.HELD_OUT_SEED).stream()
                    .mapToDouble(item -> CaptionColourCheck.check(item.caption(), Pixels.toChw(item.png(), -1f, 1f), 64, true, -1f, 1f).gridEnergy())
                    .average().orElseThrow();
            assertTrue(grid <= MAX_GRID_OVER_GENERATOR * generatorGrid, String.format("the samples carry a 2x2 grid of mean magnitude %.2f"
                    + " (0..255), more than %.1fx the %.2f of the generator's images of the same captions", grid, MAX_GRID_OVER_GENERATOR, generatorGrid));
        }
    }
}
