package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;

/** TxWork holds byte[] values, so record equality compares array identity: compare contents instead. */
public final class StoreAssertions {

    private StoreAssertions() {
    }

    /** Every field of {@code actual} equals {@code expected}'s, the written values compared by content. */
    public static void assertSameWork(TxWork actual, TxWork expected) {
        assertThat(actual.coordinator()).isEqualTo(expected.coordinator());
        assertThat(actual.reads()).isEqualTo(expected.reads());
        assertThat(actual.writes().keySet()).containsExactlyElementsOf(expected.writes().keySet());
        for (Map.Entry<Bytes, byte[]> e : expected.writes().entrySet()) {
            byte[] got = actual.writes().get(e.getKey());
            if (e.getValue() == null) {
                assertThat(got).as("write of %s is a delete", e.getKey()).isNull();
            } else {
                assertThat(got).as("value written to %s", e.getKey()).isEqualTo(e.getValue());
            }
        }
        assertThat(actual.stamp()).as("stamp").isEqualTo(expected.stamp());
        assertThat(actual.participants()).as("participants").isEqualTo(expected.participants());
        assertThat(actual.excluded()).as("excluded").isEqualTo(expected.excluded());
        assertThat(actual.priority()).as("priority").isEqualTo(expected.priority());
    }
}
