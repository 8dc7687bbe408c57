package io.quarkiverse.level2pc.deployment;
@io.quarkus.Generated("Quarkus annotation processor")
public final class Level2pcProcessor$$accessor {

    private Level2pcProcessor$$accessor() {}

    public static Object construct() {
        return new Level2pcProcessor();
    }
}
