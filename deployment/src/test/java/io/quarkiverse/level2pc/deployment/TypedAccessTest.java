package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.core.type.TypeReference;

import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Scan;
import io.quarkiverse.level2pc.TypedDB;
import io.quarkiverse.level2pc.ValueCodec;
import io.quarkiverse.level2pc.Versioned;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Typed access: generic types through {@code TypeReference}, typed views over JSON or an application's codec (with
 * versions and conditional writes), and text that round-trips: {@code put(key, String)} and
 * {@code get(key, String.class)} agree.
 */
public class TypedAccessTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TypedAccessTest.class));

    @Inject
    ReplicatedDB db;

    public record Order(String id, int qty) {
    }

    /** A codec that is not JSON: {@code qty|id}. */
    static final ValueCodec<Order> PIPE = new ValueCodec<>() {
        @Override
        public byte[] encode(Order o) {
            return (o.qty() + "|" + o.id()).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Order decode(byte[] bytes) {
            String[] parts = new String(bytes, StandardCharsets.UTF_8).split("\\|", 2);
            return new Order(parts[1], Integer.parseInt(parts[0]));
        }
    };

    @Test
    void textRoundTrips() {
        db.put("text", "plain \"text\"");
        assertThat(db.get("text", String.class)).isEqualTo("plain \"text\"");
        db.put("text-as-object", (Object) "also text");
        assertThat(db.get("text-as-object")).as("a String passed as Object is stored as its text").isEqualTo("also text");
        db.batch(b -> b.put("text-in-batch", (Object) "batched"));
        assertThat(db.get("text-in-batch", String.class)).isEqualTo("batched");
    }

    @Test
    void genericTypesThroughTypeReference() {
        db.put("orders", List.of(new Order("a", 1), new Order("b", 2)));
        List<Order> orders = db.get("orders", new TypeReference<List<Order>>() {
        });
        assertThat(orders).containsExactly(new Order("a", 1), new Order("b", 2));
        assertThat(db.get("absent", new TypeReference<List<Order>>() {
        })).isNull();
    }

    @Test
    void aTypedViewOverJson() {
        TypedDB<Order> orders = db.typed(Order.class);
        orders.put("o:1", new Order("1", 5));
        assertThat(db.get("o:1")).as("stored as JSON").isEqualTo("{\"id\":\"1\",\"qty\":5}");
        Versioned<Order> v = orders.getVersioned("o:1");
        assertThat(orders.replace("o:1", v.version(), new Order("1", 6))).isTrue();
        assertThat(orders.replace("o:1", v.version(), new Order("1", 7))).isFalse();
        assertThat(orders.putIfAbsent("o:1", new Order("x", 0))).isFalse();
        assertThat(orders.putIfAbsent("o:2", new Order("2", 1))).isTrue();
        assertThat(orders.scan(Range.prefix("o:"), Scan.reverse())).containsExactly(Map.entry("o:2", new Order("2", 1)),
                Map.entry("o:1", new Order("1", 6)));
        orders.delete("o:2");
        assertThat(orders.get("o:2")).isNull();
        assertThat(orders.delete("o:1", orders.getVersioned("o:1").version())).isTrue();

        TypedDB<Map<String, List<Integer>>> nested = db.typed(new TypeReference<Map<String, List<Integer>>>() {
        });
        nested.put("nested", Map.of("k", List.of(1, 2)));
        assertThat(nested.get("nested")).isEqualTo(Map.of("k", List.of(1, 2)));
    }

    @Test
    void aTypedViewWithTheApplicationsCodec() {
        TypedDB<Order> orders = db.typed(PIPE);
        orders.put("pipe", new Order("p", 3));
        assertThat(db.get("pipe")).isEqualTo("3|p");
        assertThat(orders.get("pipe")).isEqualTo(new Order("p", 3));
        db.put("not-pipe", "garbage");
        assertThatThrownBy(() -> orders.get("not-pipe")).isInstanceOf(Level2pcException.class)
                .hasMessageContaining("key 'not-pipe'").hasMessageContaining("cannot be decoded");
    }
}
