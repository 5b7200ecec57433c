package dev.cnf.activities;

import dev.cnf.activities.imaging.ImageHeader;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.imaging.PerceptualHash;
import dev.cnf.activities.ingest.RobotsTxt;
import dev.cnf.activities.dataset.UrlLists;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The rules ingestion applies, each on its own: robots.txt, list formats, image headers, perceptual hashes. */
class IngestRulesTest {
    @Test
    void robotsTxtFollowsRfc9309() {
        String txt = """
                User-agent: *
                Disallow: /private/
                Allow: /private/public-*.jpg$
                Crawl-delay: 2

                User-agent: cnf
                User-agent: other
                Disallow: /only-cnf/
                Allow: /only-cnf/ok
                """;
        RobotsTxt ours = RobotsTxt.parse(txt, "cnf");
        assertFalse(ours.allows("/only-cnf/x.jpg"), "our own group applies");
        assertTrue(ours.allows("/only-cnf/ok.jpg"), "longest match wins");
        assertTrue(ours.allows("/private/x.jpg"), "the * group is ignored once a group names us");
        assertEquals(Duration.ZERO, ours.crawlDelay());
        RobotsTxt anyone = RobotsTxt.parse(txt, "somebot");
        assertFalse(anyone.allows("/private/x.jpg"));
        assertTrue(anyone.allows("/private/public-1.jpg"));
        assertFalse(anyone.allows("/private/public-1.jpg?x=1"), "$ anchors the end");
        assertEquals(Duration.ofSeconds(2), anyone.crawlDelay());
        assertTrue(RobotsTxt.parse("User-agent: *\nDisallow:\n", "cnf").allows("/anything"), "empty Disallow allows all");
        assertFalse(RobotsTxt.disallowAll().allows("/x"));
    }

    @Test
    void urlListsInEveryFormat() {
        List<UrlLists.Row> csv = UrlLists.parse("a.csv", "URL,caption\r\n\"http://h/a.jpg\",\"x, \"\"quoted\"\"\"\nhttp://h/b.jpg,\n,empty\n");
        assertEquals("http://h/a.jpg", csv.get(0).url());
        assertEquals("x, \"quoted\"", csv.get(0).caption());
        assertEquals("", csv.get(1).caption());
        assertNotNull(csv.get(2).error());
        assertThrows(IllegalArgumentException.class, () -> UrlLists.parse("a.csv", "name,caption\nx,y\n"), "no URL column");
        assertEquals("cap", UrlLists.parse("a.tsv", "image_url\ttext\nhttp://h/c.png\tcap\n").get(0).caption());
        List<UrlLists.Row> jsonl = UrlLists.parse("a.jsonl", "{\"url\":\"http://h/d.png\",\"text\":\"t\"}\n{}\n");
        assertEquals("t", jsonl.get(0).caption());
        assertNotNull(jsonl.get(1).error());
        assertEquals(1, UrlLists.parse("a.txt", "# c\n\nhttp://h/e.png\n").size());
        assertTrue(UrlLists.isList("/x/urls.NDJSON"));
        assertFalse(UrlLists.isList("/x/page.html"));
    }

    @Test
    void headersGiveSizesWithoutDecoding() {
        OpenCv.load();
        Mat m = new Mat(37, 53, CvType.CV_8UC3, new Scalar(10, 20, 30));
        for (String ext : List.of(".png", ".jpg", ".webp", ".bmp", ".tiff")) {
            MatOfByte out = new MatOfByte();
            Imgcodecs.imencode(ext, m, out);
            ImageHeader h = ImageHeader.read(out.toArray());
            assertNotNull(h, ext);
            assertEquals(53, h.width(), ext);
            assertEquals(37, h.height(), ext);
            assertFalse(h.truncated(), ext);
        }
        MatOfByte jpg = new MatOfByte();
        Imgcodecs.imencode(".jpg", m, jpg);
        byte[] bytes = jpg.toArray();
        assertTrue(ImageHeader.read(java.util.Arrays.copyOf(bytes, bytes.length - 10)).truncated());
        assertNull(ImageHeader.read("<svg/>".getBytes()));
    }

    @Test
    void perceptualHashSeparatesPicturesAndJoinsCopies() {
        OpenCv.load();
        Mat a = randomGrid(1);
        Mat b = randomGrid(2);
        Mat aBig = new Mat();
        org.opencv.imgproc.Imgproc.resize(a, aBig, new org.opencv.core.Size(128, 128));
        assertTrue(PerceptualHash.distance(PerceptualHash.of(a), PerceptualHash.of(aBig)) <= 2, "a resized copy");
        assertTrue(PerceptualHash.distance(PerceptualHash.of(a), PerceptualHash.of(b)) > 16);
        long h = PerceptualHash.of(b);
        assertEquals(h, PerceptualHash.parse(PerceptualHash.hex(h)));
    }

    private static Mat randomGrid(int seed) {
        java.util.Random r = new java.util.Random(seed);
        Mat m = new Mat(64, 64, CvType.CV_8UC3);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                m.submat(y * 8, y * 8 + 8, x * 8, x * 8 + 8).setTo(new Scalar(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            }
        }
        return m;
    }
}
