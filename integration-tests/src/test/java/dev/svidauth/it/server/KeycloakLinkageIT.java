package dev.svidauth.it.server;

import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.KeycloakServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drop-in JAR links against the Keycloak it runs on, also where no test drives the code:
 * every method and field of Keycloak (and of the libraries Keycloak ships) that svid-auth's
 * classes call exists in the server's own classes, and every abstract method that svid-auth's
 * classes inherit from Keycloak's interfaces is implemented. A miss is what would be a
 * {@link NoSuchMethodError} or an {@link AbstractMethodError} at run time, as Keycloak 26.4 and
 * 26.5's {@code getAdapterConfiguration(ClientModel)} was. Reads the distribution the test run's
 * server was unpacked from; runs on every version of the matrix.
 */
@ExtendWith(SvidEnvironment.class)
class KeycloakLinkageIT {

    /** svid-auth's own classes; the relocated nimbus-jose-jwt is a library, not checked here. */
    private static final String OWN = "dev/svidauth/";
    private static final String SHADED = "dev/svidauth/shaded/";

    private static Map<String, byte[]> ownClasses;
    private static URLClassLoader server;

    @BeforeAll
    static void load(SvidRealm env) throws IOException {
        Assumptions.assumeTrue(env.keycloak() instanceof KeycloakServer, "needs the unpacked distribution (not -Ptestcontainers)");
        Path lib = ((KeycloakServer) env.keycloak()).home().resolve("lib").resolve("lib");
        List<URL> urls = new ArrayList<>();
        for (String dir : List.of("boot", "main")) {
            try (Stream<Path> jars = Files.list(lib.resolve(dir))) {
                for (Path jar : (Iterable<Path>) jars.filter(p -> p.toString().endsWith(".jar")).sorted()::iterator) {
                    urls.add(jar.toUri().toURL());
                }
            }
        }
        assertThat(urls).as("Keycloak's jars in %s", lib).hasSizeGreaterThan(100);
        Path providerJar = Path.of(System.getProperty("svid.provider.jar"));
        urls.add(providerJar.toUri().toURL());
        // the JDK's classes from the platform loader, everything else from Keycloak's jars and ours
        server = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());

        ownClasses = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(providerJar.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                String name = entry.getName();
                if (name.startsWith(OWN) && !name.startsWith(SHADED) && name.endsWith(".class")) {
                    try (InputStream in = zip.getInputStream(entry)) {
                        ownClasses.put(name.substring(0, name.length() - ".class".length()), in.readAllBytes());
                    }
                }
            }
        }
        assertThat(ownClasses).containsKey("dev/svidauth/keycloak/jwt/JwtSvidClientAuthenticatorFactory");
    }

    /** A method or field reference from one of our classes to a class outside the JAR and the JDK. */
    private record Ref(String kind, String owner, String name, String descriptor, String from) {
        String member() {
            return owner.replace('/', '.') + "." + name + descriptor;
        }
    }

    private static List<Ref> references() {
        List<Ref> refs = new ArrayList<>();
        for (Map.Entry<String, byte[]> own : ownClasses.entrySet()) {
            String from = own.getKey().replace('/', '.');
            new ClassReader(own.getValue()).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String method, String desc, String signature, String[] exceptions) {
                    String where = from + "." + method;
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean itf) {
                            add(refs, new Ref("method", owner, name, descriptor, where));
                        }

                        @Override
                        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
                            add(refs, new Ref("field", owner, name, descriptor, where));
                        }
                    };
                }

                @Override
                public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
                    return null;
                }
            }, ClassReader.SKIP_FRAMES);
        }
        return refs;
    }

    private static void add(List<Ref> refs, Ref ref) {
        String owner = ref.owner();
        boolean outside = !owner.startsWith("[") && !owner.startsWith(OWN) && !owner.startsWith("java/")
                && !owner.startsWith("javax/") && !owner.startsWith("jdk/") && !owner.startsWith("sun/");
        if (outside) {
            refs.add(ref);
        }
    }

    @Test
    void everyKeycloakMemberTheJarCallsExists() {
        List<Ref> refs = references();
        Set<String> checked = new TreeSet<>();
        List<String> missing = new ArrayList<>();
        for (Ref ref : refs) {
            if (!checked.add(ref.kind() + " " + ref.member())) {
                continue;
            }
            try {
                Class<?> owner = Class.forName(ref.owner().replace('/', '.'), false, server);
                boolean found = "field".equals(ref.kind()) ? hasField(owner, ref.name())
                        : hasMethod(owner, ref.name(), MethodType.fromMethodDescriptorString(ref.descriptor(), server));
                if (!found) {
                    missing.add(ref.kind() + " " + ref.member() + " (called in " + ref.from() + ")");
                }
            } catch (ClassNotFoundException | LinkageError | TypeNotPresentException e) {
                missing.add(ref.kind() + " " + ref.member() + " (called in " + ref.from() + "): " + e);
            }
        }

        System.out.printf("[linkage] Keycloak %s: %d Keycloak and library members referenced by %d svid-auth classes%n",
                System.getProperty("keycloak.server.version"), checked.size(), ownClasses.size());
        assertThat(checked).as("references found").hasSizeGreaterThan(100)
                .anyMatch(r -> r.startsWith("method org.keycloak.models.ClientModel."));
        assertThat(missing).as("members svid-auth calls that Keycloak %s lacks", System.getProperty("keycloak.server.version")).isEmpty();
    }

    @Test
    void everyAbstractMethodInheritedFromKeycloakIsImplemented() throws ClassNotFoundException {
        List<String> unimplemented = new ArrayList<>();
        int concrete = 0;
        int inherited = 0;
        for (String name : ownClasses.keySet()) {
            Class<?> type = Class.forName(name.replace('/', '.'), false, server);
            if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
                continue;
            }
            concrete++;
            for (Method method : allMethods(type)) {
                if (!Modifier.isAbstract(method.getModifiers())) {
                    continue;
                }
                inherited++;
                if (concreteMethod(type, method.getName(), method.getParameterTypes()) == null) {
                    unimplemented.add(type.getName() + " lacks " + method);
                }
            }
        }

        System.out.printf("[linkage] Keycloak %s: %d abstract methods of %d concrete svid-auth classes implemented%n",
                System.getProperty("keycloak.server.version"), inherited, concrete);
        assertThat(inherited).as("abstract methods checked").isGreaterThan(20);
        assertThat(unimplemented).as("abstract methods of Keycloak %s that svid-auth lacks", System.getProperty("keycloak.server.version")).isEmpty();
    }

    private static boolean hasField(Class<?> type, String name) {
        for (Class<?> c : hierarchy(type)) {
            if (Arrays.stream(c.getDeclaredFields()).anyMatch(f -> f.getName().equals(name))) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasMethod(Class<?> type, String name, MethodType signature) {
        if ("<init>".equals(name)) {
            return Arrays.stream(type.getDeclaredConstructors()).anyMatch(c -> Arrays.equals(c.getParameterTypes(), signature.parameterArray()));
        }
        return allMethods(type).stream().anyMatch(m -> m.getName().equals(name)
                && Arrays.equals(m.getParameterTypes(), signature.parameterArray()) && m.getReturnType() == signature.returnType());
    }

    private static Method concreteMethod(Class<?> type, String name, Class<?>[] parameters) {
        return allMethods(type).stream()
                .filter(m -> m.getName().equals(name) && Arrays.equals(m.getParameterTypes(), parameters) && !Modifier.isAbstract(m.getModifiers()))
                .findFirst().orElse(null);
    }

    private static List<Method> allMethods(Class<?> type) {
        List<Method> methods = new ArrayList<>();
        for (Class<?> c : hierarchy(type)) {
            methods.addAll(Arrays.asList(c.getDeclaredMethods()));
        }
        return methods;
    }

    /** The class, its superclasses and every interface they implement, each once. */
    private static List<Class<?>> hierarchy(Class<?> type) {
        List<Class<?>> all = new ArrayList<>();
        Set<Class<?>> seen = new HashSet<>();
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(type));
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (seen.add(c)) {
                all.add(c);
                if (c.getSuperclass() != null) {
                    todo.add(c.getSuperclass());
                }
                todo.addAll(Arrays.asList(c.getInterfaces()));
            }
        }
        return all;
    }
}
