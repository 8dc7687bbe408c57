package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.jackson.ObjectMapperCustomizer;
import io.quarkus.test.QuarkusUnitTest;

/**
 * The unqualified {@code ReplicatedDB} is injectable and stores Strings, bytes and JSON objects; JSON
 * goes through the application's ObjectMapper (proved by a customizer switching to snake_case). The app
 * deliberately never injects ObjectMapper itself, so the extension must find it on its own.
 */
public class DefaultDatabaseInjectionTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(Pet.class, SnakeCase.class, TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(DefaultDatabaseInjectionTest.class));

    public record Pet(String name, int legCount) {
    }

    @Singleton
    public static class SnakeCase implements ObjectMapperCustomizer {
        @Override
        public void customize(ObjectMapper mapper) {
            mapper.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        }
    }

    @Inject
    ReplicatedDB db;

    @Test
    void defaultDatabaseIsInjectedAndNamed() {
        assertThat(db).isNotNull();
        assertThat(db.name()).isEqualTo("<default>");
    }

    @Test
    void stringsRoundTrip() {
        assertThat(db.get("s")).isNull();
        db.put("s", "héllo wörld");
        assertThat(db.get("s")).isEqualTo("héllo wörld");
        db.put("s", "second");
        assertThat(db.get("s")).isEqualTo("second");
        db.delete("s");
        assertThat(db.get("s")).isNull();
        db.delete("s"); // deleting an absent key is not an error
        assertThat(db.get("never-written")).isNull();
    }

    @Test
    void bytesRoundTrip() {
        byte[] key = { 0, (byte) 0xFF, 7 };
        byte[] value = { 1, 2, 3, 0, (byte) 0x80 };
        assertThat(db.get(key)).isNull();
        db.put(key, value);
        assertThat(db.get(key)).containsExactly(value);
        value[0] = 99; // the stored value is a copy
        assertThat(db.get(key)).containsExactly(1, 2, 3, 0, (byte) 0x80);
        db.delete(key);
        assertThat(db.get(key)).isNull();
    }

    @Test
    void jsonObjectsUseTheApplicationObjectMapper() {
        assertThat(db.get("pet", Pet.class)).isNull();
        db.put("pet", (Object) new Pet("Rex", 4));
        assertThat(db.get("pet", Pet.class)).isEqualTo(new Pet("Rex", 4));
        // the customizer of the application's ObjectMapper is applied: snake_case property names
        assertThat(new String(db.get("pet".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8))
                .contains("\"leg_count\":4").doesNotContain("legCount");
    }

    @Test
    void invalidKeysAndValuesAreRejected() {
        assertThatThrownBy(() -> db.put("", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> db.put(new byte[ReplicatedDB.MAX_KEY_BYTES + 1], new byte[1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> db.put("k", (String) null)).isInstanceOf(NullPointerException.class);
        assertThat(db.get("k")).isNull();
        byte[] largestKey = new byte[ReplicatedDB.MAX_KEY_BYTES];
        largestKey[0] = 1;
        db.put(largestKey, new byte[] { 7 });
        assertThat(db.get(largestKey)).containsExactly(7);
    }
}
