package dev.cnf.datasets;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaptionColourCheckTest {
    private static final int SIZE = 64;

    @Test
    void everyGeneratedImageMatchesItsOwnCaptionAndHasNoTexture() {
        List<SyntheticCircles.Item> items = SyntheticCircles.generate(300, SIZE, 7);
        for (SyntheticCircles.Item item : items) {
            CaptionColourCheck.Verdict v = check(item.caption(), Pixels.toChw(item.png(), -1f, 1f));
            assertTrue(v.matches(), v.toString());
            assertTrue(v.roughness() < 0.5, v.toString());
            double discShare = Math.PI * item.radius() * item.radius() / (SIZE * SIZE);
            assertEquals(discShare, v.discShare(), 0.02, v.toString());
        }
    }

    @Test
    void aSwappedCaptionOrAPlainImageDoesNotMatch() {
        SyntheticCircles.Item item = SyntheticCircles.generate(1, SIZE, 3).get(0);
        String[] colours = CaptionColourCheck.colours(item.caption()).orElseThrow();
        String swapped = colours[1] + " circle with " + colours[0] + " background";
        assertFalse(check(swapped, Pixels.toChw(item.png(), -1f, 1f)).matches());

        float[] plain = new float[3 * SIZE * SIZE]; // mid grey everywhere: no disc
        CaptionColourCheck.Verdict v = check(item.caption(), plain);
        assertNull(v.discColour(), v.toString());
        assertFalse(v.matches());
    }

    @Test
    void aCheckerboardOnTheBackgroundIsMeasuredAsGridAndRoughness() {
        SyntheticCircles.Item item = SyntheticCircles.generate(1, SIZE, 5).get(0);
        float[] chw = Pixels.toChw(item.png(), -1f, 1f);
        double clean = check(item.caption(), chw).gridEnergy();
        Random r = new Random(1);
        int n = SIZE * SIZE;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                float sign = ((x + y) % 2 == 0) ? 1f : -1f;
                for (int c = 0; c < 3; c++) {
                    chw[c * n + y * SIZE + x] = clamp(chw[c * n + y * SIZE + x] + sign * 0.08f + (float) r.nextGaussian() * 0.01f);
                }
            }
        }
        CaptionColourCheck.Verdict textured = check(item.caption(), chw);
        assertTrue(textured.matches(), "a faint texture leaves the colours: " + textured);
        assertTrue(textured.gridEnergy() > clean + 5, clean + " -> " + textured); // 0.08 in [-1,1] is about 10 levels
        assertTrue(textured.roughness() > 5, textured.toString());
    }

    @Test
    void aCaptionOutsideThePaletteIsRefusedWithTheColoursItKnows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> check("teal circle with red background", new float[3 * SIZE * SIZE]));
        assertTrue(e.getMessage().contains("light pink"), e.getMessage());
    }

    private static float clamp(float v) {
        return Math.max(-1f, Math.min(1f, v));
    }

    private static CaptionColourCheck.Verdict check(String caption, float[] chw) {
        return CaptionColourCheck.check(caption, chw, SIZE, true, -1f, 1f);
    }
}
