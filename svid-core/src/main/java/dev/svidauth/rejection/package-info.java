/**
 * Why an SVID was refused: {@link dev.svidauth.rejection.Reason} (the stable reason codes and the fixed
 * text a caller is told), {@link dev.svidauth.rejection.SvidRejectedException} (the detail, for
 * administrators) and {@link dev.svidauth.rejection.Printable}, the one sanitizer of every value
 * written to an answer, event, log line or metric tag.
 *
 * <pre>{@code
 * throw new SvidRejectedException(Reason.BAD_AUDIENCE, "aud " + Printable.value(aud) + " is not accepted");
 * }</pre>
 *
 * <p>Uses no other svid-auth package.
 */
package dev.svidauth.rejection;
