/**
 * SPIFFE IDs: {@link dev.svidauth.spiffe.SpiffeId} (the SPIFFE ID spec's strict parse),
 * {@link dev.svidauth.spiffe.SpiffeIdPattern} (an exact ID or a segment-safe {@code /*} prefix) and
 * {@link dev.svidauth.spiffe.SpiffeIdIndex} (exact beats prefix, the longest prefix wins).
 *
 * <pre>{@code
 * SpiffeId id = SpiffeId.parse("spiffe://example.org/ns/payments");
 * boolean ok = SpiffeIdPattern.parse("spiffe://example.org/ns/*").matches(id);
 * }</pre>
 *
 * <p>Uses {@code rejection} only.
 */
package dev.svidauth.spiffe;
