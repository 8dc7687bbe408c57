package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;

/** The layout of the node's single store. */
class KeySpaceTest {

    private static final Pattern DB_NAME = Pattern.compile(Database.NAME_PATTERN);

    @Test
    void aDataKeyIsDataTagThenDatabaseNameThenZeroThenUserKey() {
        Bytes prefix = KeySpace.dbPrefix("orders");
        byte[] k = KeySpace.dataKey(prefix, new byte[] { 'x', 0 }).toArray();

        assertThat(k).containsExactly('d', 'o', 'r', 'd', 'e', 'r', 's', 0, 'x', 0);
        assertThat(KeySpace.userKey(prefix, k)).containsExactly('x', 0);
    }

    @Test
    void theDefaultDatabaseNameCannotBeAUserDatabaseName() {
        assertThat(DB_NAME.matcher(KeySpace.DEFAULT_DB).matches()).isFalse();
        assertThat(DB_NAME.matcher("orders").matches()).isTrue();
        assertThat(DB_NAME.matcher("a\0b").matches()).as("0x00 separates the name from the key").isFalse();
        assertThat(DB_NAME.matcher("").matches()).isFalse();
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

    @Test
    void prepareKeysOfDistinctBranchesDifferEvenWhenTheirIdsConcatenateAlike() {
        BranchId a = new BranchId(1, Bytes.utf8("ab"), Bytes.utf8("c"));
        BranchId b = new BranchId(1, Bytes.utf8("a"), Bytes.utf8("bc"));
        BranchId c = new BranchId(2, Bytes.utf8("ab"), Bytes.utf8("c"));

        assertThat(KeySpace.prepareKey(a)).isNotEqualTo(KeySpace.prepareKey(b)).isNotEqualTo(KeySpace.prepareKey(c));
        assertThat(KeySpace.prepareKey(a)[0]).isEqualTo(KeySpace.PREPARE);
        assertThat(KeySpace.prepareKey(a)).isEqualTo(KeySpace.prepareKey(new BranchId(1, Bytes.utf8("ab"), Bytes.utf8("c"))));
    }

    @Test
    void everyKindOfRecordHasItsOwnRangeApartFromTheData() {
        BranchId id = new BranchId(1, Bytes.utf8("g"), Bytes.utf8("b"));
        byte[] data = KeySpace.dataKey(KeySpace.dbPrefix("bank"), "k".getBytes(StandardCharsets.UTF_8)).toArray();
        List<byte[]> keys = List.of(data, KeySpace.prepareKey(id), KeySpace.decisionKey(id.gtrid()), KeySpace.heuristicKey(id),
                KeySpace.tombstoneKey(data), KeySpace.hintKey(id.gtrid()), KeySpace.metaKey("node-name"));

        assertThat(keys).extracting(k -> k[0]).containsExactly(KeySpace.DATA, KeySpace.PREPARE, KeySpace.META, KeySpace.META,
                KeySpace.TOMBSTONE, KeySpace.HINT, KeySpace.META);
        Bytes decisions = Bytes.wrap(KeySpace.metaKey(KeySpace.DECISION));
        Bytes heuristics = Bytes.wrap(KeySpace.metaKey(KeySpace.HEURISTIC));
        assertThat(Bytes.wrap(KeySpace.decisionKey(id.gtrid())).startsWith(decisions)).isTrue();
        assertThat(Bytes.wrap(KeySpace.heuristicKey(id)).startsWith(heuristics)).isTrue();
        assertThat(Bytes.wrap(KeySpace.heuristicKey(id)).startsWith(decisions)).isFalse();
        assertThat(Bytes.wrap(KeySpace.metaKey("node-name")).startsWith(decisions)).isFalse();
        assertThat(KeySpace.tombstoneKey(data)).as("a tombstone names its data key")
                .isEqualTo(KeySpace.concat(new byte[] { KeySpace.TOMBSTONE }, data));
    }
}
