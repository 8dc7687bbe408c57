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
