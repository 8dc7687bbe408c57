package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.Bytes;

class KeySpaceTest {

    @Test
    void aDataKeyIsDataTagThenDatabaseNameThenZeroThenUserKey() {
        Bytes prefix = KeySpace.dbPrefix("orders");
        byte[] k = KeySpace.dataKey(prefix, new byte[] { 'x', 0 }).toArray();

        assertThat(k).containsExactly('d', 'o', 'r', 'd', 'e', 'r', 's', 0, 'x', 0);
        assertThat(KeySpace.userKey(prefix, k)).containsExactly('x', 0);
    }

    @Test
    void theDefaultDatabaseNameCannotBeAUserDatabaseName() {
        assertThat(KeySpace.DB_NAME.matcher(KeySpace.DEFAULT_DB).matches()).isFalse();
        assertThat(KeySpace.DB_NAME.matcher("orders").matches()).isTrue();
        assertThat(KeySpace.DB_NAME.matcher("a\0b").matches()).as("0x00 separates the name from the key").isFalse();
        assertThat(KeySpace.DB_NAME.matcher("").matches()).isFalse();
    }

    @Test
    void noDatabasePrefixIsAPrefixOfAnotherDatabasesKeys() {
        String[] names = { KeySpace.DEFAULT_DB, "a", "ab", "a.b", "b" };
        for (String x : names) {
            for (String y : names) {
                if (!x.equals(y)) {
                    Bytes key = KeySpace.dataKey(KeySpace.dbPrefix(y), "k".getBytes(StandardCharsets.UTF_8));
                    assertThat(key.startsWith(KeySpace.dbPrefix(x))).as("%s key under %s prefix", y, x).isFalse();
                }
            }
        }
    }

    @Test
    void describeNamesTheUserKeyAndItsDatabaseButNotTheDefaultOne() {
        assertThat(KeySpace.describe(KeySpace.dataKey(KeySpace.dbPrefix("bank"), "acct-1".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("key 'acct-1' of database 'bank'");
        assertThat(KeySpace.describe(KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), "x".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("key 'x'");
        assertThat(KeySpace.describe(KeySpace.dataKey(KeySpace.dbPrefix("bank"), new byte[] { 1, 2 })))
                .isEqualTo("key '0x0102' of database 'bank'");
    }
}
