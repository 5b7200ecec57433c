package dev.cnf.activities.publish;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The card's front matter names a base model only when it is a Hugging Face Hub id. */
class ModelCardTest {
    @Test
    void onlyHubIdsGoIntoTheFrontMatter() {
        assertTrue(ModelCard.isHubId("stable-diffusion-v1-5/stable-diffusion-v1-5"));
        assertTrue(ModelCard.isHubId("runwayml/stable-diffusion-v1-5"));
        assertFalse(ModelCard.isHubId("s3://models/stable-diffusion-v1-5/"), "an S3 folder");
        assertFalse(ModelCard.isHubId("/mnt/models/sd15"), "a worker path");
        assertFalse(ModelCard.isHubId("tiny-circles"), "cnf's shipped base");
        assertFalse(ModelCard.isHubId("random"));
        assertFalse(ModelCard.isHubId("models/sd15/"), "a relative folder");
    }
}
