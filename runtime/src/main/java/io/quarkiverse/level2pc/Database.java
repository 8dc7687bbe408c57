package io.quarkiverse.level2pc;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

import jakarta.enterprise.util.AnnotationLiteral;
import jakarta.inject.Qualifier;

/**
 * Selects a named database, like {@code @DataSource} does for JDBC:
 *
 * <pre>{@code
 * @Inject
 * @Database("orders")
 * ReplicatedDB orders;
 * }</pre>
 *
 * Named databases are found at build time from injection points and from
 * {@code quarkus.level-2pc.databases}. They share the node's LevelDB (so one transaction can span
 * several of them atomically) but their keys never mix. A name is 1-64 characters of
 * {@code [A-Za-z0-9._-]}, starting with a letter or digit.
 */
@Qualifier
@Documented
@Retention(RUNTIME)
@Target({ FIELD, METHOD, PARAMETER, TYPE })
public @interface Database {

    /** What a database name must match: 1-64 characters of {@code [A-Za-z0-9._-]}, starting with a letter or digit. */
    String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    /**
     * The name of the database injected without a qualifier (it cannot clash with a named one: {@code <} is
     * not allowed in names).
     */
    String DEFAULT_NAME = "<default>";

    /** The database name. */
    String value();

    /** Supports inline instantiation of this qualifier. */
    final class Literal extends AnnotationLiteral<Database> implements Database {
        private static final long serialVersionUID = 1L;
        private final String value;

        public static Literal of(String value) {
            return new Literal(value);
        }

        private Literal(String value) {
            this.value = value;
        }

        @Override
        public String value() {
            return value;
        }
    }
}
