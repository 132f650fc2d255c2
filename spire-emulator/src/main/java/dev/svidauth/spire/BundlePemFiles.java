package dev.svidauth.spire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The trust domain's X.509 bundle as PEM files, kept current as spiffe-helper keeps its
 * {@code svid_bundle_file_name}: each file is rewritten (atomically, by rename) whenever the
 * published authorities change. With automatic rotation a daemon thread applies the rotation
 * schedule once a second ({@code rotateInterval} is 10 s in SPIRE's rotator), so the files follow
 * the emulator's clock even while nobody asks the emulator anything.
 */
final class BundlePemFiles {

    private static final Logger LOG = Logger.getLogger(SpireEmulator.class.getName());

    private final X509CaManager cas;
    private final boolean autoRotate;
    private final Set<Path> kept = ConcurrentHashMap.newKeySet();
    private final Object writeLock = new Object();
    /** Started with the first kept file. Guarded by {@link #writeLock}. */
    private ScheduledExecutorService ticker;

    BundlePemFiles(X509CaManager cas, boolean autoRotate) {
        this.cas = cas;
        this.autoRotate = autoRotate;
        cas.onBundleChange(this::rewriteKept);
    }

    /** The published X.509 authorities as consecutive PEM {@code CERTIFICATE} blocks. */
    String pem() {
        return X509Svid.certificatesPem(cas.authorities());
    }

    /**
     * Writes the bundle to {@code file} once: PEM, or a PKCS #12 trust store (one trusted
     * certificate entry per authority, password {@value SpireEmulator#TRUST_STORE_PASSWORD}) when
     * the name ends in {@code .p12}.
     */
    void write(Path file) {
        synchronized (writeLock) {
            if (file.getFileName().toString().endsWith(".p12")) {
                X509Svid.writeAtomically(file, trustStore(cas.authorities()));
            } else {
                X509Svid.writeAtomically(file, pem());
            }
        }
    }

    private static byte[] trustStore(List<X509Certificate> authorities) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("x509-authority-" + i, authorities.get(i));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, SpireEmulator.TRUST_STORE_PASSWORD.toCharArray());
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot write the bundle as a PKCS #12 trust store", e);
        }
    }

    /** Writes the bundle to {@code file} now and after every change until {@link #close()}. */
    void keep(Path file) {
        synchronized (writeLock) {
            kept.add(file.toAbsolutePath());
            write(file);
            if (autoRotate && ticker == null) {
                ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "spire-emulator-x509-rotator");
                    t.setDaemon(true);
                    return t;
                });
                ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
            }
        }
    }

    /** Stops updating: the files stay as they are. */
    void close() {
        synchronized (writeLock) {
            kept.clear();
            if (ticker != null) {
                ticker.shutdownNow();
                ticker = null;
            }
        }
    }

    private void tick() {
        try {
            cas.tick();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "SPIRE emulator could not rotate its X.509 authority", e);
        }
    }

    private void rewriteKept() {
        for (Path file : kept) {
            try {
                write(file);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "SPIRE emulator could not update " + file, e);
            }
        }
    }
}
