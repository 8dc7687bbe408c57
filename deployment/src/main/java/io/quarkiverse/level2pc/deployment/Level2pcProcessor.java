package io.quarkiverse.level2pc.deployment;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

import jakarta.inject.Singleton;

import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationTarget;
import org.jboss.jandex.ClassType;
import org.jboss.jandex.DotName;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.AdminRoutes;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.runtime.Level2pcRecorder;
import io.quarkiverse.level2pc.runtime.PeerRoutes;
import io.quarkiverse.level2pc.runtime.PeerTransportProducer;
import io.quarkiverse.level2pc.runtime.devui.Level2pcJsonRpcService;
import io.quarkiverse.level2pc.runtime.health.Level2pcHealthCheck;
import io.quarkiverse.level2pc.runtime.health.WritesHealthCheck;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.arc.deployment.BeanArchiveIndexBuildItem;
import io.quarkus.arc.deployment.SyntheticBeanBuildItem;
import io.quarkus.bootstrap.classloading.QuarkusClassLoader;
import io.quarkus.deployment.Capabilities;
import io.quarkus.deployment.IsLocalDevelopment;
import io.quarkus.deployment.Capability;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import io.quarkus.deployment.builditem.RunTimeConfigurationDefaultBuildItem;
import io.quarkus.deployment.builditem.nativeimage.NativeImageResourceBuildItem;
import io.quarkus.deployment.builditem.nativeimage.ReflectiveClassBuildItem;
import io.quarkus.deployment.builditem.nativeimage.RuntimeInitializedClassBuildItem;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.devui.spi.JsonRPCProvidersBuildItem;
import io.quarkus.devui.spi.page.CardPageBuildItem;
import io.quarkus.devui.spi.page.Page;
import io.quarkus.smallrye.health.deployment.spi.HealthBuildItem;

class Level2pcProcessor {

    private static final Pattern DB_NAME = Pattern.compile(Database.NAME_PATTERN);

    static final String FEATURE = "level-2pc";
    static final DotName DATABASE = DotName.createSimple(Database.class);

    @BuildStep
    FeatureBuildItem feature() {
        return new FeatureBuildItem(FEATURE);
    }

    @BuildStep
    AdditionalBeanBuildItem beans() {
        return AdditionalBeanBuildItem.builder()
                .addBeanClasses(Level2pcNode.class, Database.class, PeerRoutes.class, AdminRoutes.class, PeerTransportProducer.class)
                .setUnremovable()
                .build();
    }

    /**
     * Narayana defaults that make this extension safe: recovery on (prepared branches must be
     * finished after a crash), the node name equal to ours (presumed-abort recovery only touches
     * branches carrying its own name) and the transaction log beside the node's data.
     */
    @BuildStep
    void narayanaDefaults(BuildProducer<RunTimeConfigurationDefaultBuildItem> defaults) {
        defaults.produce(new RunTimeConfigurationDefaultBuildItem("quarkus.transaction-manager.enable-recovery", "true"));
        defaults.produce(new RunTimeConfigurationDefaultBuildItem("quarkus.transaction-manager.node-name",
                "${quarkus.level-2pc.node-name:local}"));
        // Lets Narayana start with an over-long name so that our own validation, which names
        // quarkus.level-2pc.node-name, reports it instead of Narayana's bare IllegalArgumentException.
        defaults.produce(new RunTimeConfigurationDefaultBuildItem("quarkus.transaction-manager.shorten-node-name-if-necessary",
                "true"));
        defaults.produce(new RunTimeConfigurationDefaultBuildItem("quarkus.transaction-manager.object-store.directory",
                "${quarkus.level-2pc.path:data/${quarkus.level-2pc.node-name:local}}/narayana"));
    }

    /** Every database name: from {@code @Database} injection points and {@code quarkus.level-2pc.databases}. */
    @BuildStep
    DatabaseNamesBuildItem databaseNames(BeanArchiveIndexBuildItem index, Level2pcBuildTimeConfig config) {
        TreeSet<String> names = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (AnnotationInstance a : index.getIndex().getAnnotations(DATABASE)) {
            if (a.target().kind() == AnnotationTarget.Kind.CLASS) {
                continue; // a qualifier on a bean class of the application's own, not an injection point
            }
            String name = a.value().asString();
            if (!DB_NAME.matcher(name).matches()) {
                problems.add("@Database(\"" + name + "\") on " + a.target() + " is not a valid database name");
            }
            names.add(name);
        }
        for (String name : config.databases().orElse(List.of())) {
            if (!DB_NAME.matcher(name).matches()) {
                problems.add("quarkus.level-2pc.databases contains '" + name + "', which is not a valid database name");
            }
            names.add(name);
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(String.join("; ", problems)
                    + " (a name is 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit)");
        }
        return new DatabaseNamesBuildItem(names);
    }

    @BuildStep
    @Record(ExecutionTime.RUNTIME_INIT)
    void databaseBeans(DatabaseNamesBuildItem names, Level2pcRecorder recorder,
            BuildProducer<SyntheticBeanBuildItem> beans) {
        beans.produce(SyntheticBeanBuildItem.configure(ReplicatedDB.class)
                .scope(Singleton.class)
                .setRuntimeInit()
                .unremovable()
                .addInjectionPoint(ClassType.create(DotName.createSimple(Level2pcNode.class)))
                .createWith(recorder.database(Database.DEFAULT_NAME))
                .done());
        for (String name : names.names()) {
            beans.produce(SyntheticBeanBuildItem.configure(ReplicatedDB.class)
                    .scope(Singleton.class)
                    .setRuntimeInit()
                    .unremovable()
                    .addQualifier().annotation(DATABASE).addValue("value", name).done()
                    .addInjectionPoint(ClassType.create(DotName.createSimple(Level2pcNode.class)))
                    .createWith(recorder.database(name))
                    .done());
        }
    }

    /** The Micrometer metrics, when the application has {@code quarkus-micrometer} (an optional dependency). */
    @BuildStep
    void metrics(Capabilities capabilities, BuildProducer<AdditionalBeanBuildItem> beans) {
        // Capability.METRICS is what quarkus-micrometer provides; the class must also be loadable (SmallRye Metrics
        // provides the capability too, without Micrometer)
        if (capabilities.isPresent(Capability.METRICS)
                && QuarkusClassLoader.isClassPresentAtRuntime("io.micrometer.core.instrument.MeterRegistry")) {
            // by name: the class implements Micrometer's MeterBinder, loadable only when Micrometer is there
            beans.produce(AdditionalBeanBuildItem.builder().addBeanClass("io.quarkiverse.level2pc.runtime.metrics.Level2pcMetrics")
                    .setUnremovable().build());
        }
    }

    /** The OpenTelemetry spans, when the application has {@code quarkus-opentelemetry} with tracing on (an optional dependency). */
    @BuildStep
    void tracing(Capabilities capabilities, BuildProducer<AdditionalBeanBuildItem> beans,
            BuildProducer<RunTimeConfigurationDefaultBuildItem> defaults) {
        if (capabilities.isPresent(Capability.OPENTELEMETRY_TRACER)
                && QuarkusClassLoader.isClassPresentAtRuntime("io.opentelemetry.api.OpenTelemetry")) {
            // by name: the class uses the OpenTelemetry API, loadable only when the application has it
            beans.produce(AdditionalBeanBuildItem.builder()
                    .addBeanClass("io.quarkiverse.level2pc.runtime.tracing.OpenTelemetryTracing").setUnremovable().build());
            // The peer protocol's HTTP requests get no server span (a root span per heartbeat otherwise): the extension
            // traces the messages inside them. Only a default: an application that sets the property lists it itself.
            defaults.produce(new RunTimeConfigurationDefaultBuildItem("quarkus.otel.traces.suppress-application-uris",
                    PeerProtocol.PATH_PREFIX + "*"));
        }
    }

    /** The Dev UI card: the node and its peers, the branches in doubt, a key browser (dev mode only). */
    @BuildStep(onlyIf = IsLocalDevelopment.class)
    void devUi(BuildProducer<CardPageBuildItem> cards, BuildProducer<JsonRPCProvidersBuildItem> rpc) {
        CardPageBuildItem card = new CardPageBuildItem();
        card.addPage(Page.webComponentPageBuilder().title("Node and peers").icon("font-awesome-solid:circle-nodes")
                .componentLink("qwc-level2pc-node.js").dynamicLabelJsonRPCMethodName("peersLabel"));
        card.addPage(Page.webComponentPageBuilder().title("Keys").icon("font-awesome-solid:table-list")
                .componentLink("qwc-level2pc-keys.js"));
        cards.produce(card);
        rpc.produce(new JsonRPCProvidersBuildItem(Level2pcJsonRpcService.class));
    }

    @BuildStep
    void health(Capabilities capabilities, Level2pcBuildTimeConfig config, BuildProducer<HealthBuildItem> health) {
        if (capabilities.isPresent(Capability.SMALLRYE_HEALTH)) {
            health.produce(new HealthBuildItem(Level2pcHealthCheck.class.getName(), config.health().enabled()));
            health.produce(new HealthBuildItem(WritesHealthCheck.class.getName(), config.health().enabled()));
        }
    }

    /**
     * What a native image needs for iq80 leveldb: its classes that touch unsafe buffers or load
     * Snappy reflectively are initialised at run time (so {@code LevelStore} can turn memory mapping
     * off before {@code Iq80DBFactory} reads {@code leveldb.mmap}), and its version resource is included.
     * {@code LevelStore} reaches iq80's record of a failed background write ({@code DbImpl.backgroundException},
     * through a {@code VarHandle} it looks up when it is initialised, at run time) to keep serving reads
     * after it.
     */
    @BuildStep
    void nativeImage(BuildProducer<RuntimeInitializedClassBuildItem> runtimeInit,
            BuildProducer<NativeImageResourceBuildItem> resources, BuildProducer<ReflectiveClassBuildItem> reflective) {
        for (String c : List.of("org.iq80.leveldb.impl.Iq80DBFactory", "org.iq80.leveldb.util.ByteBufferSupport",
                "org.iq80.leveldb.util.Snappy", "org.iq80.leveldb.impl.DbImpl", "org.iq80.leveldb.impl.MMapLogWriter",
                "org.iq80.leveldb.table.MMapTable", LevelStore.class.getName())) {
            runtimeInit.produce(new RuntimeInitializedClassBuildItem(c));
        }
        resources.produce(new NativeImageResourceBuildItem("org/iq80/leveldb/impl/version.txt"));
        reflective.produce(ReflectiveClassBuildItem.builder("org.iq80.leveldb.impl.DbImpl").fields().build());
    }
}
