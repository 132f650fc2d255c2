package dev.svidauth.fuzz;

import dev.svidauth.fuzz.SvidMutations.Seed;

/**
 * Byte and character level mutations of the whole compact token: flipped bits, substituted,
 * deleted, inserted and duplicated characters, truncation, and non-canonical base64url (unused low
 * bits of a part's last character changed, which a lenient decoder reads as the same bytes).
 */
final class ByteMutations extends MutationFamily {

    ByteMutations(Sources sources) {
        super(sources);
    }

    String truncation(Seed s) {
        return s.token().substring(0, rnd.nextInt(s.token().length()));
    }

    String bitFlip(Seed s) {
        char[] c = s.token().toCharArray();
        int flips = 1 + rnd.nextInt(3);
        for (int k = 0; k < flips; k++) {
            int i = rnd.nextInt(c.length);
            c[i] = (char) (c[i] ^ (1 << rnd.nextInt(rnd.nextInt(8) == 0 ? 16 : 7)));
        }
        return new String(c);
    }

    String charSubstitution(Seed s) {
        StringBuilder b = new StringBuilder(s.token());
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            b.setCharAt(rnd.nextInt(b.length()), randomChar());
        }
        return b.toString();
    }

    String rangeDeletion(Seed s) {
        String t = s.token();
        int from = rnd.nextInt(t.length());
        int to = Math.min(t.length(), from + 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 200));
        return t.substring(0, from) + t.substring(to);
    }

    String insertion(Seed s) {
        String t = s.token();
        int at = rnd.nextInt(t.length() + 1);
        String what = switch (rnd.nextInt(6)) {
            case 0 -> ".";
            case 1 -> "..";
            case 2 -> "=";
            case 3 -> randomString(1 + rnd.nextInt(8));
            case 4 -> " ";
            default -> randomB64(1 + rnd.nextInt(40));
        };
        return t.substring(0, at) + what + t.substring(at);
    }

    String rangeDuplication(Seed s) {
        String t = s.token();
        int from = rnd.nextInt(t.length());
        int to = Math.min(t.length(), from + 1 + rnd.nextInt(100));
        String piece = t.substring(from, to);
        return t.substring(0, to) + piece.repeat(1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 200 : 3)) + t.substring(to);
    }

    /**
     * The last character of a part changed so that the value bits stay the same and only the
     * unused low bits differ: a lenient base64url decoder yields the same bytes.
     */
    String nonCanonical(Seed s) {
        String[] p = s.parts();
        int i = rnd.nextInt(3);
        String part = p[i];
        int rem = part.length() % 4;
        if (rem == 0) {
            return bitFlip(s);
        }
        int unused = rem == 2 ? 4 : 2;
        int last = B64URL.indexOf(part.charAt(part.length() - 1));
        int changed = last ^ (1 + rnd.nextInt((1 << unused) - 1));
        p[i] = part.substring(0, part.length() - 1) + B64URL.charAt(changed);
        return String.join(".", p);
    }
}
