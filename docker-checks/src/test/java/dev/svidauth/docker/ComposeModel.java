package dev.svidauth.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project Docker Compose makes of the compose files given with {@code -f}, as far as the
 * docker/ files use its rules: YAML anchors and merge keys ({@code <<}; SnakeYAML resolves them as
 * Compose's YAML parser does), a service's {@code extends} (a service of another file or of the
 * same one: the base first, the service's own keys over it; resolved within each file, before the
 * files are merged), each later file merged over the earlier ones, top-level {@code x-} keys
 * dropped. Merging: mappings key by key (so an environment variable, a dependency or a build
 * argument each on its own; environments must be written as mappings), sequences appended without
 * repeats, other values replaced, and so are {@code command}, {@code entrypoint} and a
 * healthcheck's {@code test}.
 */
final class ComposeModel {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> REPLACED = Set.of("command", "entrypoint", "test");

    private final JsonNode project;

    private ComposeModel(JsonNode project) {
        this.project = project;
    }

    /** {@code docker compose -f files[0] -f files[1] …} in {@code dir}. */
    static ComposeModel load(Path dir, String... files) throws IOException {
        Map<String, Object> project = new LinkedHashMap<>();
        for (String file : files) {
            merge(project, resolved(dir, file));
        }
        project.keySet().removeIf(key -> key.startsWith("x-"));
        return new ComposeModel(JSON.valueToTree(project));
    }

    JsonNode root() {
        return project;
    }

    /** The names of the project's services. */
    List<String> services() {
        List<String> names = new ArrayList<>();
        project.path("services").fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Service {@code name}; fails when the project has none of that name. */
    JsonNode service(String name) {
        JsonNode node = project.path("services").path(name);
        assertThat(node.isMissingNode()).as("service %s", name).isFalse();
        return node;
    }

    /** An environment variable of a service, or null. */
    String env(String service, String name) {
        JsonNode value = service(service).path("environment").path(name);
        return value.isMissingNode() ? null : value.asText();
    }

    /** One file, its services' {@code extends} resolved. */
    private static Map<String, Object> resolved(Path dir, String file) throws IOException {
        Map<String, Object> doc = read(dir.resolve(file));
        Map<String, Object> services = map(doc.get("services"));
        for (String name : new ArrayList<>(services.keySet())) {
            services.put(name, extended(dir, file, services, name, new LinkedHashSet<>()));
        }
        return doc;
    }

    private static Map<String, Object> extended(Path dir, String file, Map<String, Object> services, String name,
                                                Set<String> seen) throws IOException {
        if (!seen.add(file + " " + name)) {
            throw new IllegalStateException("extends goes round in circles: " + seen);
        }
        Object found = services.get(name);
        if (found == null) {
            throw new IllegalStateException("no service " + name + " in " + file);
        }
        Map<String, Object> service = map(found);
        Object extendsValue = service.get("extends");
        if (extendsValue == null) {
            return service;
        }
        Map<String, Object> ref = extendsValue instanceof String s ? Map.of("service", s) : map(extendsValue);
        String baseFile = ref.containsKey("file") ? (String) ref.get("file") : file;
        Map<String, Object> baseServices = baseFile.equals(file) ? services : map(read(dir.resolve(baseFile)).get("services"));
        Map<String, Object> result = copy(extended(dir, baseFile, baseServices, (String) ref.get("service"), seen));
        Map<String, Object> own = new LinkedHashMap<>(service);
        own.remove("extends");
        merge(result, own);
        return result;
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> target, Map<String, Object> over) {
        over.forEach((key, value) -> {
            Object current = target.get(key);
            if (REPLACED.contains(key) || current == null) {
                target.put(key, copyOf(value));
            } else if (current instanceof Map && value instanceof Map) {
                merge((Map<String, Object>) current, (Map<String, Object>) value);
            } else if (current instanceof List<?> list && value instanceof List<?> more) {
                List<Object> all = new ArrayList<>(list);
                more.stream().filter(v -> !all.contains(v)).forEach(v -> all.add(copyOf(v)));
                target.put(key, all);
            } else {
                target.put(key, copyOf(value));
            }
        });
    }

    /** The file as plain maps and lists; a copy, so that what anchors share is never changed twice. */
    private static Map<String, Object> read(Path file) throws IOException {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
        return copy(map(doc));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        if (!(value instanceof Map)) {
            throw new IllegalStateException("a mapping expected, not " + value);
        }
        return (Map<String, Object>) value;
    }

    private static Map<String, Object> copy(Map<String, Object> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), copyOf(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object copyOf(Object value) {
        if (value instanceof Map) {
            return copy((Map<String, Object>) value);
        }
        if (value instanceof List<?> list) {
            return new ArrayList<>(list.stream().map(ComposeModel::copyOf).toList());
        }
        return value;
    }
}
