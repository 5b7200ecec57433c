package dev.cnf.activities.caption;

import dev.cnf.activities.models.OpenAiConfig;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cnf.activities.imaging.ImageSniffer;
import dev.cnf.activities.storage.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Captions from any OpenAI-compatible chat-completions endpoint that takes image input (OpenAI, vLLM,
 * llama.cpp server, Ollama's OpenAI API...). Base URL, model and key are worker configuration, never
 * run input. A 4xx for one image is that image's failure (the caller falls back); 429, 5xx and
 * network errors are retried here and then fail the activity, which Temporal retries.
 */
public final class OpenAiCaptioner {
    /** The endpoint refused this one image (4xx other than 429). */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    private final OpenAiConfig config;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public OpenAiCaptioner(OpenAiConfig config) {
        if (!config.configured()) {
            throw new IllegalArgumentException("the openai captioner needs the worker's CNF_OPENAI_BASE_URL and CNF_OPENAI_MODEL"
                    + " (or --openai-base-url / --openai-model)");
        }
        this.config = config;
    }

    /** @param image the training image (JPEG or PNG) */
    public String caption(byte[] image) {
        Map<String, Object> body = Map.of(
                "model", config.model(),
                "temperature", 0,
                "max_tokens", 77,
                "messages", List.of(Map.of("role", "user", "content", List.of(
                        Map.of("type", "text", "text", config.instruction()),
                        Map.of("type", "image_url", "image_url", Map.of("url", "data:" + ImageSniffer.mediaType(image) + ";base64," + Base64.getEncoder().encodeToString(image)))))));
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(config.baseUrl().replaceAll("/+$", "") + "/chat/completions"))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
        if (!config.apiKey().isBlank()) {
            req.header("Authorization", "Bearer " + config.apiKey());
        }
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                HttpResponse<String> resp = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
                int status = resp.statusCode();
                if (status == 200) {
                    JsonNode content = Json.MAPPER.readTree(resp.body()).path("choices").path(0).path("message").path("content");
                    if (!content.isTextual() || content.asText().isBlank()) {
                        throw new Refused("no choices[0].message.content in the answer");
                    }
                    return content.asText().strip().replaceAll("^\"|\"$", "");
                }
                if (status >= 400 && status < 500 && status != 429) {
                    throw new Refused("HTTP " + status + ": " + abbreviate(resp.body()));
                }
                last = new IOException("HTTP " + status + ": " + abbreviate(resp.body()));
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while captioning", e);
            }
            try {
                Thread.sleep(500L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while captioning", e);
            }
        }
        throw new IllegalStateException("captioning endpoint " + config.baseUrl() + " failed 3 times: " + last.getMessage(), last);
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
