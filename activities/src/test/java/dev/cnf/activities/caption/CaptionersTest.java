package dev.cnf.activities.caption;

import dev.cnf.activities.models.OpenAiConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.Json;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CaptionersTest {
    @Test
    void longCaptionsAreCutAtAWordBoundaryAndFlagged() {
        CaptionLimit limit = CaptionLimit.words(5);
        assertEquals(new CaptionLimit.Fitted("a red circle", false), limit.fit("a red circle"));
        assertEquals(new CaptionLimit.Fitted("one two, three four five", true), limit.fit("one two, three four five six seven"));
        CaptionLimit clip = CaptionLimit.clip(dev.cnf.model.text.ClipTokenizer.byteLevel(256, 257, 77), 12); // a token per byte
        CaptionLimit.Fitted f = clip.fit("abc defg hijkl");
        assertTrue(f.truncated());
        assertEquals("abc defg", f.text(), "8 bytes + start + end = 10 tokens fit in 12; the next word does not");
    }

    @Test
    void csvCaptionsMatchByUrlThenByFileName() {
        CsvCaptions c = new CsvCaptions("captions.csv", "file,caption\n0.png,\"a circle, blue\"\nhttp://h/exact/1.png,exact one\n");
        assertEquals("a circle, blue", c.find("http://gallery/img/0.png"));
        assertEquals("exact one", c.find("http://h/exact/1.png"));
        assertEquals("exact one", c.find("http://other/1.png"), "by file name when no URL matches");
        assertNull(c.find("http://h/2.png"));
        assertThrows(IllegalArgumentException.class, () -> new CsvCaptions("c.csv", "url,caption\n"));
    }

    @Test
    void openAiCompatibleEndpointIsAskedWithTheImage() throws Exception {
        List<JsonNode> requests = new ArrayList<>();
        List<String> auth = new ArrayList<>();
        HttpServer stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stub.createContext("/v1/chat/completions", ex -> {
            JsonNode body = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
            requests.add(body);
            auth.add(ex.getRequestHeaders().getFirst("Authorization"));
            boolean refuse = requests.size() == 2;
            byte[] answer = (refuse ? "{\"error\": {\"message\": \"content policy\"}}"
                    : "{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \"\\\"A red circle on white.\\\"\"}}]}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(refuse ? 400 : 200, answer.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer);
            }
        });
        stub.start();
        try {
            String base = "http://127.0.0.1:" + stub.getAddress().getPort() + "/v1/";
            OpenAiCaptioner captioner = new OpenAiCaptioner(new OpenAiConfig(base, "vision-mini", "sk-test", "Describe."));
            byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            assertEquals("A red circle on white.", captioner.caption(png));
            assertThrows(OpenAiCaptioner.Refused.class, () -> captioner.caption(png), "a 400 is this image's failure");
            byte[] jpeg = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0};
            assertEquals("A red circle on white.", captioner.caption(jpeg));
            assertEquals("data:image/jpeg;base64,/9j/4A==", requests.get(2).path("messages").path(0).path("content").path(1)
                    .path("image_url").path("url").asText(), "the data URL names the image's own type");
            JsonNode first = requests.get(0);
            assertEquals("vision-mini", first.path("model").asText());
            assertEquals("Bearer sk-test", auth.get(0));
            JsonNode content = first.path("messages").path(0).path("content");
            assertEquals("Describe.", content.path(0).path("text").asText());
            assertEquals("data:image/png;base64,iVBORw0KGgo=", content.path(1).path("image_url").path("url").asText());
        } finally {
            stub.stop(0);
        }
        assertThrows(IllegalArgumentException.class, () -> new OpenAiCaptioner(new OpenAiConfig("", "", "", "")));
    }

    @Test
    void modelCaptionerDecodesGreedilyOrWithABeam() throws Exception {
        OpenCv.load();
        Mat green = new Mat(48, 48, CvType.CV_8UC3, new Scalar(40, 200, 40));
        byte[] png = OpenCv.encodePng(green);
        String folder = Path.of(CaptionersTest.class.getResource("/captioner/vocab.txt").toURI()).getParent().toString();
        try (ModelCaptioner greedy = ModelCaptioner.load(folder, null, 1); ModelCaptioner beam = ModelCaptioner.load(folder, null, 2)) {
            assertEquals("a red circle", greedy.caption(png), "greedy takes 'a' (0.6), then the best of three near-equal colours");
            assertEquals("the green circle", beam.caption(png), "the beam keeps 'the' (0.4) and finds the image's colour with certainty");
        }
        assertThrows(IllegalArgumentException.class, () -> ModelCaptioner.load("/nonexistent/captioner", null, 1));
    }
}
