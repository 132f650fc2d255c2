package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.svidauth.spire.SpireEmulator.Endpoint;

import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every fault switch, observed with java.net.http. */
class FaultsTest {

    static SpireEmulator spire;

    @BeforeAll
    static void start() {
        spire = SpireEmulator.builder().start();
    }

    @AfterAll
    static void stop() {
        spire.close();
    }

    @AfterEach
    void normal() {
        spire.reset();
        if (!spire.isRunning()) {
            spire.restart();
        }
    }

    List<URI> all() {
        return List.of(spire.discoveryUrl(), spire.jwksUrl(), spire.bundleUrl());
    }

    @Test
    void delayHoldsEachResponseButNeverOtherRequests() {
        spire.responseDelay(Duration.ofMillis(600), Endpoint.KEYS);

        long t0 = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> slow = IntStream.range(0, 4)
                .mapToObj(i -> Http.CLIENT.sendAsync(HttpRequest.newBuilder(spire.jwksUrl()).build(),
                        HttpResponse.BodyHandlers.ofString()))
                .toList();
        HttpResponse<String> fast = Http.get(spire.bundleUrl());
        Duration fastTook = Duration.ofNanos(System.nanoTime() - t0);
        slow.forEach(f -> assertThat(f.join().statusCode()).isEqualTo(200));
        Duration slowTook = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(fast.statusCode()).isEqualTo(200);
        assertThat(fastTook).isLessThan(Duration.ofMillis(500));
        assertThat(slowTook).isGreaterThanOrEqualTo(Duration.ofMillis(600)).isLessThan(Duration.ofMillis(1150));
    }

    @Test
    void delayWithoutEndpointAppliesToAllThree() {
        spire.responseDelay(Duration.ofMillis(250));
        for (URI uri : all()) {
            long t0 = System.nanoTime();
            assertThat(Http.get(uri).statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        }
    }

    @Test
    void failWithAnswersThatStatus() {
        spire.failWith(500);
        for (URI uri : all()) {
            HttpResponse<String> r = Http.get(uri);
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).doesNotContain("keys");
        }

        spire.reset().failWith(503, Endpoint.KEYS);
        assertThat(Http.get(spire.jwksUrl()).statusCode()).isEqualTo(503);
        assertThat(Http.get(spire.discoveryUrl()).statusCode()).isEqualTo(200);
        assertThat(Http.get(spire.bundleUrl()).statusCode()).isEqualTo(200);
    }

    @Test
    void serveRawAnswersAnyBody() {
        spire.serveRaw("<html><body>Login required</body></html>", "text/html");
        for (URI uri : all()) {
            HttpResponse<String> r = Http.get(uri);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html");
            assertThat(r.body()).startsWith("<html>");
        }

        spire.serveRaw("{\"keys\":[]}", "application/json", Endpoint.KEYS);
        assertThat(Http.get(spire.jwksUrl()).body()).isEqualTo("{\"keys\":[]}");

        String huge = "{\"keys\":[],\"pad\":\"" + "x".repeat(8 * 1024 * 1024) + "\"}";
        spire.serveRaw(huge, "application/json", Endpoint.BUNDLE);
        assertThat(Http.get(spire.bundleUrl()).body()).hasSize(huge.length());
    }

    @Test
    void redirectToAnswers302() {
        spire.redirectTo("http://127.0.0.1:1/elsewhere");
        for (URI uri : all()) {
            HttpResponse<String> r = Http.get(uri);
            assertThat(r.statusCode()).isEqualTo(302);
            assertThat(r.headers().firstValue("Location")).hasValue("http://127.0.0.1:1/elsewhere");
        }
    }

    @Test
    void resetRestoresNormalService() {
        spire.failWith(500).responseDelay(Duration.ofSeconds(5));
        spire.reset();
        for (URI uri : all()) {
            long t0 = System.nanoTime();
            assertThat(Http.get(uri).statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        }
        assertThat(Http.json(Http.get(spire.jwksUrl()))).containsKey("keys");
    }

    @Test
    void stopThenRestartOnTheSamePort() {
        int port = spire.port();
        String kid = spire.signingKey().getKeyID();

        spire.stop();
        assertThat(spire.isRunning()).isFalse();
        assertThatThrownBy(() -> Http.get(spire.jwksUrl()))
                .isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(ConnectException.class);

        spire.restart();
        assertThat(spire.isRunning()).isTrue();
        assertThat(spire.port()).isEqualTo(port);
        HttpResponse<String> r = Http.get(spire.jwksUrl());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains(kid);

        spire.restart(); // while running: drops and reopens
        assertThat(Http.get(URI.create("http://127.0.0.1:" + port + "/keys")).statusCode()).isEqualTo(200);
    }

    @Test
    void countersCountEveryRequestEvenFailedOnes() {
        spire.resetCounters();
        Http.get(spire.jwksUrl());
        Http.get(spire.jwksUrl());
        Http.get(spire.bundleUrl());
        spire.failWith(500, Endpoint.DISCOVERY);
        Http.get(spire.discoveryUrl());
        Http.get(spire.discoveryUrl());
        Http.get(spire.discoveryUrl());

        assertThat(spire.keysRequests()).isEqualTo(2);
        assertThat(spire.bundleRequests()).isEqualTo(1);
        assertThat(spire.discoveryRequests()).isEqualTo(3);

        spire.resetCounters();
        assertThat(spire.keysRequests()).isZero();
        assertThat(spire.bundleRequests()).isZero();
        assertThat(spire.discoveryRequests()).isZero();
    }
}
