package dev.cnf.activities;

import dev.cnf.activities.caption.CaptionActivitiesImpl;
import dev.cnf.activities.ingest.AddressPolicy;
import dev.cnf.activities.imaging.ImageSniffer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SafetyTest {
    @Test
    void nonPublicAddressesAreRefusedUnlessAllowListed() {
        AddressPolicy policy = AddressPolicy.publicOnly();
        assertNotNull(policy.check(URI.create("http://127.0.0.1:8080/x.png")));
        assertNotNull(policy.check(URI.create("http://169.254.169.254/latest/meta-data/")));
        assertNotNull(policy.check(URI.create("http://10.1.2.3/a.jpg")));
        assertNotNull(policy.check(URI.create("http://192.168.0.10/a.jpg")));
        assertNotNull(policy.check(URI.create("http://[::1]/a.jpg")));
        assertNotNull(policy.check(URI.create("http://0.0.0.0/a.jpg")));
        assertNotNull(policy.check(URI.create("file:///etc/passwd")));
        assertNotNull(policy.check(URI.create("http://100.100.100.200/latest/meta-data/")), "carrier-grade NAT (a cloud metadata address)");
        assertNotNull(policy.check(URI.create("http://0.1.2.3/a.jpg")), "0.0.0.0/8");
        assertNotNull(policy.check(URI.create("http://[fd00:ec2::254]/latest/meta-data/")), "unique-local IPv6");
        assertNull(policy.check(URI.create("http://100.128.0.1/a.jpg")), "just past 100.64.0.0/10");
        assertNull(policy.check(URI.create("http://93.184.215.14/a.jpg")), "a public address");
        AddressPolicy demo = new AddressPolicy(Set.of("127.0.0.1:8080"));
        assertNull(demo.check(URI.create("http://127.0.0.1:8080/x.png")));
        assertNotNull(demo.check(URI.create("http://127.0.0.1:8081/x.png")), "only the allow-listed port");
    }

    @Test
    void contentTypeComesFromMagicBytes() {
        assertEquals("png", ImageSniffer.sniff(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10}));
        assertEquals("jpeg", ImageSniffer.sniff(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0}));
        assertEquals("gif", ImageSniffer.sniff("GIF89a".getBytes()));
        assertNull(ImageSniffer.sniff("<html>".getBytes()));
        assertNull(ImageSniffer.sniff(new byte[0]));
    }

    @Test
    void altTextIsCleanedOfMarkup() {
        assertEquals("red circle & blue", CaptionActivitiesImpl.cleanAltText("  <b>red</b>\n circle &amp; blue "));
        assertEquals("", CaptionActivitiesImpl.cleanAltText(null));
        for (String boilerplate : new String[] {"image", "Click to enlarge.", "IMG_20240101_1234.jpg", "DSC01234", "  12345 ", "photo.png", "Thumbnail"}) {
            assertEquals("", CaptionActivitiesImpl.cleanAltText(boilerplate), boilerplate);
        }
        assertEquals("a photo of a red barn", CaptionActivitiesImpl.cleanAltText("a photo of a red barn"));
    }
}
