package dev.svidauth.it;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.svidauth.testkit.FormPost;

/**
 * A person's browser for the authorization code flow, over plain HTTP: Keycloak's own login page
 * is fetched, its form is filled and posted, and the code is taken from the redirect. Cookies are
 * kept like a browser keeps them, so a second client's login in the same browser is an SSO login
 * on the same user session, without a password.
 */
final class BrowserLogin {

    private static final Pattern LOGIN_FORM = Pattern.compile("<form[^>]*id=\"kc-form-login\"[^>]*>", Pattern.DOTALL);
    private static final Pattern ACTION = Pattern.compile("action=\"([^\"]+)\"");
    private static final Pattern CODE = Pattern.compile("[?&]code=([^&]+)");

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> cookies = new LinkedHashMap<>();
    private final URI realm;

    BrowserLogin(URI realm) {
        this.realm = realm;
    }

    /**
     * Opens the authorization endpoint for {@code clientId}; signs in with the password when
     * Keycloak shows its login page (first login), or not at all when the SSO session answers
     * at once. Returns the authorization code.
     */
    String authorize(String clientId, String redirectUri, String username, String password) {
        URI authorize = URI.create(realm + "/protocol/openid-connect/auth?response_type=code&scope=openid"
                + "&client_id=" + FormPost.encode(clientId) + "&redirect_uri=" + FormPost.encode(redirectUri)
                + "&state=s-" + System.nanoTime());
        HttpResponse<String> page = send(HttpRequest.newBuilder(authorize).GET());
        if (page.statusCode() == 302) {
            return code(page);
        }
        if (page.statusCode() != 200) {
            throw new IllegalStateException("authorization endpoint answered " + page.statusCode() + ": " + page.body());
        }
        Matcher form = LOGIN_FORM.matcher(page.body());
        if (!form.find()) {
            throw new IllegalStateException("no login form on Keycloak's page: " + page.body());
        }
        Matcher action = ACTION.matcher(form.group());
        if (!action.find()) {
            throw new IllegalStateException("login form without action: " + form.group());
        }
        URI post = URI.create(action.group(1).replace("&amp;", "&"));
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("username", username);
        fields.put("password", password);
        fields.put("credentialId", "");
        HttpResponse<String> loggedIn = send(HttpRequest.newBuilder(post)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(fields))));
        if (loggedIn.statusCode() != 302) {
            throw new IllegalStateException("login answered " + loggedIn.statusCode() + ": " + loggedIn.body());
        }
        return code(loggedIn);
    }

    private static String code(HttpResponse<String> redirect) {
        String location = redirect.headers().firstValue("Location").orElseThrow();
        Matcher m = CODE.matcher(location);
        if (!m.find()) {
            throw new IllegalStateException("redirect without a code: " + location);
        }
        return URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        if (!cookies.isEmpty()) {
            StringBuilder header = new StringBuilder();
            cookies.forEach((k, v) -> header.append(header.length() == 0 ? "" : "; ").append(k).append('=').append(v));
            request.header("Cookie", header.toString());
        }
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            List<String> setCookies = response.headers().allValues("Set-Cookie");
            for (String setCookie : setCookies) {
                String pair = setCookie.split(";", 2)[0];
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    String name = pair.substring(0, eq).trim();
                    String value = pair.substring(eq + 1).trim();
                    if (value.isEmpty() || setCookie.toLowerCase(Locale.ROOT).contains("max-age=0")) {
                        cookies.remove(name);
                    } else {
                        cookies.put(name, value);
                    }
                }
            }
            return response;
        } catch (IOException e) {
            throw new IllegalStateException("request to Keycloak failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
