package dev.svidauth.keycloak.admin;

import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * Mounts {@link SvidDiagnosticsResource} at {@code /admin/realms/{realm}/svid-auth}: Keycloak's
 * admin REST API hands it the realm and the caller's permissions after checking the admin token.
 */
public final class SvidDiagnosticsProviderFactory implements AdminRealmResourceProviderFactory, AdminRealmResourceProvider {

    /** The path segment below {@code /admin/realms/{realm}/}. */
    public static final String PROVIDER_ID = "svid-auth";

    @Override
    public AdminRealmResourceProvider create(KeycloakSession session) {
        return this;
    }

    @Override
    public Object getResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth,
                              AdminEventBuilder adminEvent) {
        SvidAuthRuntime runtime = SvidAuthRuntimes.of(session.getKeycloakSessionFactory());
        return runtime == null ? null : new SvidDiagnosticsResource(session, realm, auth, runtime);
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
