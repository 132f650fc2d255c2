package dev.svidauth.keycloak.client;

import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ProviderEventListener;
import org.keycloak.utils.KeycloakSessionUtil;

/**
 * Forgets a realm's SPIFFE ID index when one of its clients is created, updated, removed or renamed
 * on this node (other nodes: {@link ClusterIndexInvalidation}).
 */
public final class ClientIndexInvalidation implements ProviderEventListener {

    private final SvidClientIndex index;

    public ClientIndexInvalidation(SvidClientIndex index) {
        this.index = index;
    }

    @Override
    public void onEvent(ProviderEvent event) {
        if (event instanceof ClientModel.ClientCreationEvent) {
            ClientModel.ClientCreationEvent e = (ClientModel.ClientCreationEvent) event;
            invalidateOnCommit(KeycloakSessionUtil.getKeycloakSession(), e.getCreatedClient());
        } else if (event instanceof ClientModel.ClientUpdatedEvent) {
            ClientModel.ClientUpdatedEvent e = (ClientModel.ClientUpdatedEvent) event;
            invalidateOnCommit(e.getKeycloakSession(), e.getUpdatedClient());
        } else if (event instanceof ClientModel.ClientRemovedEvent) {
            ClientModel.ClientRemovedEvent e = (ClientModel.ClientRemovedEvent) event;
            invalidateOnCommit(e.getKeycloakSession(), e.getClient());
        } else if (event instanceof ClientModel.ClientIdChangeEvent) {
            ClientModel.ClientIdChangeEvent e = (ClientModel.ClientIdChangeEvent) event;
            invalidateOnCommit(e.getKeycloakSession(), e.getUpdatedClient());
        }
    }

    /** Drops the realm's index now and again once the change is committed (lookups in between may see either). */
    private void invalidateOnCommit(KeycloakSession session, ClientModel client) {
        String realmId = client.getRealm().getId();
        index.invalidate(realmId);
        if (session != null) {
            session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                @Override
                protected void commitImpl() {
                    index.invalidate(realmId);
                }

                @Override
                protected void rollbackImpl() {
                    index.invalidate(realmId);
                }
            });
        }
    }
}
