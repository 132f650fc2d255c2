package dev.svidauth.testkit;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The run-wide value behind {@link KeycloakExtension#shared}: one start, a failure remembered, closed once. */
class KeycloakExtensionSharedTest {

    /** Counts its closes. */
    static final class Resource implements AutoCloseable {
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    @Test
    void startsOnceForEveryCaller() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        KeycloakExtension.Shared<Resource> shared = new KeycloakExtension.Shared<>(() -> {
            starts.incrementAndGet();
            return new Resource();
        });

        Resource first = shared.get();

        assertThat(shared.get()).isSameAs(first);
        assertThat(starts).hasValue(1);
        shared.close();
        shared.close(); // JUnit may close a resource as AutoCloseable and as CloseableResource
        assertThat(first.closes).hasValue(1);
    }

    @Test
    void aFailedStartIsNotTriedAgainAndEveryCallerGetsItsCause() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        KeycloakExtension.Shared<Resource> shared = new KeycloakExtension.Shared<>(() -> {
            starts.incrementAndGet();
            throw new IllegalStateException("port taken");
        });

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(shared::get).isInstanceOf(IllegalStateException.class)
                    .hasMessage("Keycloak failed to start in this test run: port taken")
                    .hasRootCauseMessage("port taken");
        }
        assertThat(starts).hasValue(1);
        shared.close(); // nothing started, nothing to close
    }

    @Test
    void anAbortedStartAbortsEveryCallerSoTheirClassesAreSkipped() {
        TestAbortedException noDocker = new TestAbortedException("no Docker engine answers");
        KeycloakExtension.Shared<Resource> shared = new KeycloakExtension.Shared<>(() -> {
            throw noDocker;
        });

        assertThatThrownBy(shared::get).isSameAs(noDocker);
        assertThatThrownBy(shared::get).isSameAs(noDocker);
    }

    @Test
    void aCheckedFailureToCloseReachesJUnitNamingTheValue() {
        AutoCloseable stuck = new AutoCloseable() {
            @Override
            public void close() throws Exception {
                throw new java.io.IOException("socket stuck");
            }

            @Override
            public String toString() {
                return "the stuck value";
            }
        };
        KeycloakExtension.Shared<AutoCloseable> shared = new KeycloakExtension.Shared<>(() -> stuck);
        shared.get();

        assertThatThrownBy(shared::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the stuck value").hasRootCauseMessage("socket stuck");
    }
}
