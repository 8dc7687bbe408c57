package io.quarkiverse.level2pc.runtime;

import java.util.function.Function;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.arc.SyntheticCreationalContext;
import io.quarkus.runtime.annotations.Recorder;

/** Creates the {@link ReplicatedDB} beans, one per database name found at build time. */
@Recorder
public class Level2pcRecorder {

    public Function<SyntheticCreationalContext<ReplicatedDB>, ReplicatedDB> database(String name) {
        return ctx -> new ReplicatedDBImpl(name, ctx.getInjectedReference(Level2pcNode.class));
    }
}
