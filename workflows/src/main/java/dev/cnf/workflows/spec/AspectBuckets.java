package dev.cnf.workflows.spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Aspect-ratio buckets, as kohya's trainers make them ({@code make_bucket_resolutions}): the square at the resolution and,
 * for each width from the smallest to the largest side in steps of the model's size multiple, the tallest height of at
 * most the square's pixel count, both ways round. An image goes to the bucket whose aspect ratio is nearest its own
 * (ties to the first in (width, height) order, as kohya's argmin), is scaled to cover it and centre-cropped; its condition
 * gets exactly the same resize and crop. Without buckets every image is the square.
 *
 * @param sizes the buckets, sorted by width then height
 */
public record AspectBuckets(List<Size> sizes) {
    /** The most buckets a dataset may have: the shard index names a sample's bucket by its index. */
    public static final int MAX_BUCKETS = 128;

    /** One bucket: the training image's width and height in pixels. */
    public record Size(int width, int height) {
        public double aspect() {
            return (double) width / height;
        }

        /** As the card and the shard index write it: {@code 576x448}. */
        @Override
        public String toString() {
            return width + "x" + height;
        }

        public static Size parse(String s) {
            int x = s.indexOf('x');
            return new Size(Integer.parseInt(s.substring(0, x)), Integer.parseInt(s.substring(x + 1)));
        }
    }

    public AspectBuckets {
        sizes = List.copyOf(sizes);
    }

    /** The run's buckets: the square alone unless {@code data.aspectBuckets()}. */
    public static AspectBuckets of(DataSpec data, ModelSpec model) {
        int r = model.resolution();
        if (!data.aspectBuckets()) {
            return new AspectBuckets(List.of(new Size(r, r)));
        }
        return make(r, model.sizeMultiple(), minSide(data, model), maxSide(data, model));
    }

    /** kohya's make_bucket_resolutions((resolution, resolution), minSide, maxSide, multiple). */
    public static AspectBuckets make(int resolution, int multiple, int minSide, int maxSide) {
        long area = (long) resolution * resolution;
        TreeSet<Size> sizes = new TreeSet<>(Comparator.comparingInt(Size::width).thenComparingInt(Size::height));
        int square = (int) (Math.sqrt(area) / multiple) * multiple;
        sizes.add(new Size(square, square));
        for (int width = minSide; width <= maxSide; width += multiple) {
            int height = (int) Math.min(maxSide, area / width / multiple * multiple);
            if (height >= minSide) {
                sizes.add(new Size(width, height));
                sizes.add(new Size(height, width));
            }
        }
        return new AspectBuckets(new ArrayList<>(sizes));
    }

    /** The bucket an image of {@code width x height} goes to. */
    public Size nearest(int width, int height) {
        double aspect = (double) width / height;
        Size best = sizes.get(0);
        for (Size s : sizes) {
            if (Math.abs(s.aspect() - aspect) < Math.abs(best.aspect() - aspect)) {
                best = s;
            }
        }
        return best;
    }

    /** The smallest bucket side: {@code minBucketSide}, or half the resolution rounded down to the size multiple. */
    static int minSide(DataSpec data, ModelSpec model) {
        return data.minBucketSide() > 0 ? data.minBucketSide()
                : Math.max(model.sizeMultiple(), model.resolution() / 2 / model.sizeMultiple() * model.sizeMultiple());
    }

    /** The largest bucket side: {@code maxBucketSide}, or twice the resolution. */
    static int maxSide(DataSpec data, ModelSpec model) {
        return data.maxBucketSide() > 0 ? data.maxBucketSide() : 2 * model.resolution();
    }

    /** What is wrong with the bucket settings for this model, if anything. */
    public static void addProblems(List<String> p, DataSpec data, ModelSpec model) {
        if (!data.aspectBuckets()) {
            if (data.minBucketSide() != 0 || data.maxBucketSide() != 0) {
                p.add("minBucketSide/maxBucketSide are set but aspectBuckets is off; set aspectBuckets true or drop them");
            }
            return;
        }
        int m = model.sizeMultiple(), r = model.resolution();
        int min = minSide(data, model), max = maxSide(data, model);
        List<String> here = new ArrayList<>();
        if (r % m != 0) {
            here.add("resolution " + r + " is no multiple of " + m);
        }
        if (min % m != 0 || max % m != 0) {
            here.add("minBucketSide " + min + " and maxBucketSide " + max + " must be multiples of " + m + " (preset "
                    + model.modelConfig() + "'s size multiple)");
        }
        if (!(min <= r && r <= max)) {
            here.add("minBucketSide " + min + " <= resolution " + r + " <= maxBucketSide " + max + " does not hold");
        }
        if (here.isEmpty() && make(r, m, min, max).sizes().size() > MAX_BUCKETS) {
            here.add("minBucketSide " + min + " to maxBucketSide " + max + " make more than " + MAX_BUCKETS + " buckets; narrow the range");
        }
        for (String s : here) {
            p.add("aspectBuckets: " + s);
        }
    }
}
