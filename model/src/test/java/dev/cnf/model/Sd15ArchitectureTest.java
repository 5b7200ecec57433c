package dev.cnf.model;

import dev.cnf.model.config.AutoencoderConfig;
import dev.cnf.model.config.ClipTextConfig;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The sd15 preset's shapes, checked by parameter counts and names; nothing is allocated. */
class Sd15ArchitectureTest {

    @Test
    void parameterCountsEqualDiffusers() {
        StableDiffusionConfig sd = StableDiffusionConfig.sd15();
        assertEquals(859_520_964L, new UNet(sd.unet()).parameterCount(), "UNet2DConditionModel");
        assertEquals(83_653_863L, new AutoencoderKL(sd.vae()).parameterCount(), "AutoencoderKL");
        assertEquals(123_060_480L, new ClipTextModel(sd.textEncoder()).parameterCount(), "CLIPTextModel (ViT-L/14)");
        assertEquals(361_279_120L, new ControlNet(sd.controlnet()).parameterCount(), "ControlNetModel");
    }

    @Test
    void parameterNamesFollowDiffusers() {
        StableDiffusionConfig sd = StableDiffusionConfig.sd15();
        Map<String, ?> cn = new ControlNet(sd.controlnet()).namedParameters();
        assertTrue(cn.containsKey("controlnet_cond_embedding.blocks.0.weight"));
        assertTrue(cn.containsKey("controlnet_cond_embedding.blocks.5.weight"));
        assertTrue(cn.containsKey("controlnet_cond_embedding.conv_out.weight"));
        assertTrue(cn.containsKey("controlnet_down_blocks.11.weight"));
        assertFalse(cn.containsKey("controlnet_down_blocks.12.weight"), "12 zero convs on the down path");
        assertTrue(cn.containsKey("controlnet_mid_block.weight"));
        Map<String, ?> unet = new UNet(sd.unet()).namedParameters();
        assertTrue(unet.containsKey("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight"));
        assertFalse(unet.containsKey("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.bias"), "no q/k/v bias");
        assertTrue(unet.containsKey("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight"));
        assertTrue(unet.containsKey("down_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj.weight"));
        assertTrue(unet.containsKey("up_blocks.3.attentions.2.proj_out.weight"));
        assertTrue(unet.containsKey("mid_block.attentions.0.norm.weight"));
        assertTrue(unet.containsKey("up_blocks.0.upsamplers.0.conv.weight"));
        Map<String, ?> vae = new AutoencoderKL(sd.vae()).namedParameters();
        assertTrue(vae.containsKey("encoder.mid_block.attentions.0.to_q.bias"));
        assertTrue(vae.containsKey("decoder.up_blocks.3.resnets.2.conv2.weight"));
        assertTrue(vae.containsKey("encoder.down_blocks.0.downsamplers.0.conv.weight"));
        Map<String, ?> clip = new ClipTextModel(sd.textEncoder()).namedParameters();
        assertTrue(clip.containsKey("text_model.encoder.layers.11.self_attn.out_proj.weight"));
        assertTrue(clip.containsKey("text_model.final_layer_norm.bias"));
    }

    @Test
    void configsRoundTripThroughDiffusersJson() {
        StableDiffusionConfig sd = StableDiffusionConfig.sd15();
        assertEquals(sd.unet(), UNetConfig.fromJson(sd.unet().toJson()));
        assertEquals(sd.controlnet(), ControlNetConfig.fromJson(sd.controlnet().toJson()));
        assertEquals(sd.vae(), AutoencoderConfig.fromJson(sd.vae().toJson()));
        assertEquals(sd.textEncoder(), ClipTextConfig.fromJson(sd.textEncoder().toJson()));
        StableDiffusionConfig tiny = StableDiffusionConfig.tinySd();
        assertEquals(tiny.unet(), UNetConfig.fromJson(tiny.unet().toJson()));
    }

    @Test
    void readsTheRealSd15UnetConfigFile() {
        // runwayml/stable-diffusion-v1-5 unet/config.json, as published (attention_head_dim means heads here).
        String json = """
                {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.6.0", "act_fn": "silu",
                 "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": false,
                 "cross_attention_dim": 768,
                 "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                 "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
                 "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
                 "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]}
                """;
        assertEquals(UNetConfig.sd15(), UNetConfig.fromJson(json));
    }

    @Test
    void unsupportedConfigsFailNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNetConfig.fromJson("{\"class_embed_type\": \"timestep\"}"));
        assertTrue(e.getMessage().contains("class_embed_type"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> UNetConfig.fromJson("{\"down_block_types\": [\"SimpleCrossAttnDownBlock2D\", \"DownBlock2D\", \"DownBlock2D\", \"DownBlock2D\"]}"));
        assertTrue(e.getMessage().contains("SimpleCrossAttnDownBlock2D"), e.getMessage());
    }
}
