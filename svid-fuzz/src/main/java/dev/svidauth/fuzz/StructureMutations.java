package dev.svidauth.fuzz;

import dev.svidauth.fuzz.SvidMutations.Seed;

import java.util.ArrayList;
import java.util.List;

/**
 * Mutations of the token's structure: its three parts shuffled, dropped, duplicated, emptied or
 * taken from another genuine token, a part replaced with random base64url, and random tokens that
 * share nothing with a genuine one.
 */
final class StructureMutations extends MutationFamily {

    StructureMutations(Sources sources) {
        super(sources);
    }

    String randomToken(Seed s) {
        return randomString(rnd.nextInt(rnd.nextBoolean() ? 200 : 3000));
    }

    String partShuffle(Seed s) {
        List<String> p = new ArrayList<>(List.of(s.parts()));
        switch (rnd.nextInt(7)) {
            case 0 -> java.util.Collections.swap(p, rnd.nextInt(3), rnd.nextInt(3));
            case 1 -> java.util.Collections.shuffle(p, rnd);
            case 2 -> p.remove(rnd.nextInt(p.size()));
            case 3 -> p.add(rnd.nextInt(p.size() + 1), p.get(rnd.nextInt(3)));
            case 4 -> p.set(rnd.nextInt(3), "");
            case 5 -> {
                p.add(randomB64(rnd.nextInt(40)));
                p.add(randomB64(rnd.nextInt(40)));
            }
            default -> p.set(rnd.nextInt(3), p.get(rnd.nextInt(3)));
        }
        return String.join(".", p);
    }

    String partFromOther(Seed s) {
        Seed other = seeds().get(rnd.nextInt(seeds().size()));
        String[] p = s.parts();
        String[] o = other.parts();
        int i = rnd.nextInt(3);
        p[i] = o[rnd.nextInt(4) == 0 ? rnd.nextInt(3) : i];
        return String.join(".", p);
    }

    String randomPart(Seed s) {
        String[] p = s.parts();
        int n = rnd.nextInt(4) == 0 ? rnd.nextInt(5) : rnd.nextInt(600);
        p[rnd.nextInt(3)] = randomB64(n);
        return String.join(".", p);
    }
}
