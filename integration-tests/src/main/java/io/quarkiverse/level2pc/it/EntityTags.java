package io.quarkiverse.level2pc.it;

/**
 * {@code If-Match} / {@code If-None-Match} lists: {@code *} or comma-separated entity tags. The demo's tags are a
 * key's version in quotes (strong); a weak tag ({@code W/"..."}) never matches, and an unquoted one is taken as it
 * is (it matches nothing the demo gave out).
 */
final class EntityTags {

    private EntityTags() {
    }

    /** Whether {@code header} names {@code version} (or is {@code *}). */
    static boolean matches(String header, String version) {
        for (String raw : header.split(",")) {
            String tag = raw.trim();
            if (tag.equals("*")) {
                return true;
            }
            if (tag.startsWith("W/")) {
                continue;
            }
            if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
                tag = tag.substring(1, tag.length() - 1);
            }
            if (tag.equals(version)) {
                return true;
            }
        }
        return false;
    }
}
