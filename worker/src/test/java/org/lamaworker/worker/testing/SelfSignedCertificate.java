package org.lamaworker.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made by the JDK's keytool when a test
 * runs, so TLS tests need no checked-in key and no other host: the server side gets the key, the
 * client side trusts exactly this certificate.
 */
public final class SelfSignedCertificate {
    public static final String PASSWORD = "changeit";

    private final Path keyStore;
    private final String alias;

    private SelfSignedCertificate(Path keyStore, String alias) {
        this.keyStore = keyStore;
        this.alias = alias;
    }

    /** Makes a key pair and its certificate in {@code dir/<alias>.p12} (PKCS12). */
    public static SelfSignedCertificate create(Path dir, String alias) throws Exception {
        Path keyStore = dir.resolve(alias + ".p12");
        keytool(
                "-genkeypair",
                "-alias",
                alias,
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD);
        return new SelfSignedCertificate(keyStore, alias);
    }

    /** The PKCS12 file holding the key and the certificate, with {@link #PASSWORD}. */
    public Path keyStore() {
        return keyStore;
    }

    /** Writes the certificate as PEM to {@code file}, as a CA file for clients configured so. */
    public Path exportPem(Path file) throws Exception {
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                alias,
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                file.toString());
        return file;
    }

    /** A server context presenting this certificate. */
    public SSLContext serverContext() throws Exception {
        KeyManagerFactory keys =
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(), PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    /** A client context trusting this certificate and nothing else. */
    public SSLContext clientContext() throws Exception {
        Certificate certificate = load().getCertificate(alias);
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry(alias, certificate);
        TrustManagerFactory trust =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /**
     * Writes a PKCS12 trust store holding only this certificate, for a JVM started with {@code
     * -Djavax.net.ssl.trustStore=FILE -Djavax.net.ssl.trustStorePassword=}{@link #PASSWORD}.
     */
    public Path exportTrustStore(Path file) throws Exception {
        Path pem = exportPem(file.resolveSibling(alias + ".pem"));
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                alias,
                "-file",
                pem.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                file.toString(),
                "-storepass",
                PASSWORD);
        return file;
    }

    private KeyStore load() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("keytool %s: %s", args[0], output).isZero();
    }
}
