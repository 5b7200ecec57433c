package dev.cnf.model.train;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Paired augmentation: one view for image and condition, drawn from (seed, position) alone, with the pixels it promises. */
class AugmentationTest {
    static final int SIDE = 16;

    /** A picture whose every value is different: any misplaced pixel shows. */
    static float[] picture(int salt) {
        float[] chw = new float[3 * SIDE * SIDE];
        for (int i = 0; i < chw.length; i++) {
            chw[i] = (float) Math.sin(i * 0.37 + salt);
        }
        return chw;
    }

    @Test
    void imageAndConditionGetTheSameViewFromSeedAndPositionAlone() {
        Augmentation both = new Augmentation(true, true);
        float[] picture = picture(1);
        int changed = 0;
        for (long position = 0; position < 200; position++) {
            TrainingPair view = both.apply(new TrainingPair(3, picture.clone(), picture.clone(), "c"), 42, position);
            assertArrayEquals(view.image(), view.condition(), "the same transform for both, bit for bit, at " + position);
            TrainingPair again = both.apply(new TrainingPair(3, picture.clone(), picture.clone(), "c"), 42, position);
            assertArrayEquals(view.image(), again.image(), "a pure function of (seed, position)");
            assertEquals(3, view.row());
            assertEquals("c", view.caption());
            changed += Arrays.equals(view.image(), picture) ? 0 : 1;
        }
        assertTrue(changed > 150, "nearly every view differs from the picture: " + changed);
        float[] other = both.apply(new TrainingPair(3, picture.clone(), picture.clone(), "c"), 43, 7).image();
        assertFalse(Arrays.equals(other, both.apply(new TrainingPair(3, picture.clone(), picture.clone(), "c"), 42, 7).image()),
                "another seed, another view");
        assertSame(picture, Augmentation.NONE.apply(new TrainingPair(0, picture, picture, ""), 42, 7).image(), "none: untouched");
    }

    @Test
    void aFlipMirrorsEveryRowAboutHalfTheTime() {
        Augmentation flip = new Augmentation(true, false);
        float[] picture = picture(2);
        int flipped = 0;
        for (long position = 0; position < 400; position++) {
            float[] view = flip.apply(new TrainingPair(0, picture, picture, ""), 9, position).image();
            if (view == picture) {
                continue;
            }
            flipped++;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < SIDE; y++) {
                    for (int x = 0; x < SIDE; x++) {
                        int at = c * SIDE * SIDE + y * SIDE;
                        assertEquals(picture[at + SIDE - 1 - x], view[at + x], "mirrored at c" + c + " y" + y + " x" + x);
                    }
                }
            }
        }
        assertTrue(flipped > 160 && flipped < 240, "about half of 400 flipped: " + flipped);
    }

    /** Bilinear resampling reproduces a linear ramp exactly (to float rounding): the crop's offsets and scale, checked. */
    @Test
    void aCropIsResizedBackBilinearlyWithPixelCentresAligned() {
        float[] ramp = new float[3 * SIDE * SIDE];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    ramp[c * SIDE * SIDE + y * SIDE + x] = x + 100 * y;
                }
            }
        }
        int cropSide = 13, x0 = 2, y0 = 1;
        float[] view = Augmentation.view(ramp, SIDE, cropSide, x0, y0, false);
        double scale = (double) cropSide / SIDE;
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double sx = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), cropSide - 1);
                double sy = Math.min(Math.max((y + 0.5) * scale - 0.5, 0), cropSide - 1);
                assertEquals(x0 + sx + 100 * (y0 + sy), view[2 * SIDE * SIDE + y * SIDE + x], 1e-3, "at x" + x + " y" + y);
            }
        }
        float[] mirrored = Augmentation.view(ramp, SIDE, cropSide, x0, y0, true);
        assertEquals(view[SIDE - 1], mirrored[0], 0f, "the mirror of the same crop");
    }

    /** An aspect bucket's pair: the flip mirrors its rows, the crop keeps its size and aspect, image and condition alike. */
    @Test
    void aWidePairIsFlippedAndCroppedInItsOwnShape() {
        int w = 24, h = 8;
        float[] wide = new float[3 * w * h];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = (float) Math.cos(i * 0.29);
        }
        int flipped = 0;
        for (long position = 0; position < 100; position++) {
            TrainingPair view = new Augmentation(true, false).apply(new TrainingPair(1, wide, wide.clone(), "", w, h), 5, position);
            assertEquals(w, view.width());
            assertEquals(h, view.height());
            if (view.image() == wide) {
                continue;
            }
            flipped++;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int at = c * w * h + y * w;
                        assertEquals(wide[at + w - 1 - x], view.image()[at + x], "mirrored at c" + c + " y" + y + " x" + x);
                    }
                }
            }
            assertArrayEquals(view.image(), view.condition());
        }
        assertTrue(flipped > 25 && flipped < 75, "about half: " + flipped);
        for (long position = 0; position < 50; position++) {
            TrainingPair view = new Augmentation(false, true).apply(new TrainingPair(1, wide, wide.clone(), "", w, h), 5, position);
            assertEquals(3 * w * h, view.image().length);
            assertArrayEquals(view.image(), view.condition(), "one crop for both at " + position);
        }
        assertThrows(IllegalArgumentException.class, () -> new TrainingPair(0, wide, new float[3 * 8 * 8], "", w, h),
                "a condition of another size is refused");
    }
}
