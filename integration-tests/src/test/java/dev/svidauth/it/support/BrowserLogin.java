package dev.svidauth.it.support;

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
public final class BrowserLogin {

    private static final Pattern LOGIN_FORM = Pattern.compile("<form[^>]*id=\"kc-form-login\"[^>]*>", Pattern.DOTALL);
    private static final Pattern ACTION = Pattern.compile("action=\"([^\"]+)\"");
    private static final Pattern CODE = Pattern.compile("[?&]code=([^&]+)");
    /** Keycloak's consent page (login-oauth-grant): a form with the accept button. */
    private static final Pattern CONSENT_FORM = Pattern.compile("<form[^>]*action=\"[^\"]*\"[^>]*>(?=(?:(?!</form>).)*name=\"accept\")",
            Pattern.DOTALL);
    private static final Pattern CONSENT_CODE = Pattern.compile("name=\"code\"\\s+value=\"([^\"]*)\"|value=\"([^\"]*)\"\\s+name=\"code\"");

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> cookies = new LinkedHashMap<>();
    private final URI realm;

    public BrowserLogin(URI realm) {
        this.realm = realm;
    }

    /**
     * Opens the authorization endpoint for {@code clientId}; signs in with the password when
     * Keycloak shows its login page (first login), or not at all when the SSO session answers
     * at once. Returns the authorization code.
     */
    public String authorize(String clientId, String redirectUri, String username, String password) {
        return authorize("response_type=code&scope=openid&client_id=" + FormPost.encode(clientId)
                + "&redirect_uri=" + FormPost.encode(redirectUri) + "&state=s-" + System.nanoTime(), username, password);
    }

    /** The same with the authorization request's query given whole (e.g. a PAR {@code request_uri}). */
    public String authorize(String query, String username, String password) {
        HttpResponse<String> last = visit(URI.create(realm + "/protocol/openid-connect/auth?" + query), username, password);
        if (last.statusCode() != 302) {
            throw new IllegalStateException("authorization ended with " + last.statusCode() + ": " + last.body());
        }
        return code(last);
    }

    /**
     * Browses from {@code start} as a person would: signs in on Keycloak's login page, accepts a
     * consent page, follows Keycloak's own redirects. Returns the last answer: a redirect away
     * from Keycloak (to a client's redirect URI) or a page that asks for nothing more.
     */
    public HttpResponse<String> visit(URI start, String username, String password) {
        HttpResponse<String> answer = send(HttpRequest.newBuilder(start).GET());
        for (int step = 0; step < 10; step++) {
            if (answer.statusCode() == 302 || answer.statusCode() == 303) {
                URI next = answer.uri().resolve(answer.headers().firstValue("Location").orElseThrow());
                if (!next.toString().startsWith(realm.toString())) {
                    return answer;
                }
                answer = send(HttpRequest.newBuilder(next).GET());
            } else if (answer.statusCode() == 200 && LOGIN_FORM.matcher(answer.body()).find()) {
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("username", username);
                fields.put("password", password);
                fields.put("credentialId", "");
                answer = post(answer.uri().resolve(formAction(answer.body(), LOGIN_FORM)), fields);
            } else if (answer.statusCode() == 200 && CONSENT_FORM.matcher(answer.body()).find()) {
                Matcher code = CONSENT_CODE.matcher(answer.body());
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("code", !code.find() ? "" : code.group(1) != null ? code.group(1) : code.group(2));
                fields.put("accept", "Yes");
                answer = post(answer.uri().resolve(formAction(answer.body(), CONSENT_FORM)), fields);
            } else {
                return answer;
            }
        }
        throw new IllegalStateException("more than 10 steps from " + start);
    }

    private static URI formAction(String page, Pattern form) {
        Matcher tag = form.matcher(page);
        if (!tag.find()) {
            throw new IllegalStateException("no form on Keycloak's page: " + page);
        }
        Matcher action = ACTION.matcher(tag.group());
        if (!action.find()) {
            throw new IllegalStateException("form without action: " + tag.group());
        }
        return URI.create(action.group(1).replace("&amp;", "&"));
    }

    private HttpResponse<String> post(URI uri, Map<String, String> fields) {
        return send(HttpRequest.newBuilder(uri).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(fields))));
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
