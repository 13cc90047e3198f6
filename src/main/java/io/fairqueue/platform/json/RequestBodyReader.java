package io.fairqueue.platform.json;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.platform.problem.ProblemException;
import jakarta.json.JsonValue;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Path;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.Comparator;
import java.util.Set;

/**
 * Reads {@link JsonRequest} bodies: size cap (413), exactly one well-formed JSON value that
 * PostgreSQL can store as sent ({@link StrictJson}, 400), an object (400),
 * typed members (400 naming the member), then Bean Validation (400 naming the property).
 */
@Provider
@Consumes({MediaType.APPLICATION_JSON, "application/*+json", MediaType.WILDCARD})
public class RequestBodyReader implements MessageBodyReader<JsonRequest> {

    /** The whole body: a 1 MiB payload plus room for the other members. */
    static final int MAX_BODY_BYTES = JsonFields.MAX_DOCUMENT_BYTES + 64 * 1024;

    /** How much of an oversized body is read and dropped before answering 413. */
    static final long DRAIN_LIMIT_BYTES = 64L * 1024 * 1024;

    private static volatile Validator validator;

    @Override
    public boolean isReadable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return JsonRequest.class.isAssignableFrom(type);
    }

    @Override
    public JsonRequest readFrom(
            Class<JsonRequest> type,
            Type genericType,
            Annotation[] annotations,
            MediaType mediaType,
            MultivaluedMap<String, String> headers,
            InputStream entity)
            throws IOException {
        byte[] bytes = entity.readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
            // Read (and drop) the rest, up to a bound, so clients that send the whole body before
            // reading the answer get the 413 instead of a stalled connection.
            drain(entity);
            throw ProblemException.tooLarge("body", "the request body must be at most " + MAX_BODY_BYTES + " bytes");
        }
        JsonValue value = bytes.length == 0 ? JsonValue.EMPTY_JSON_OBJECT : parse(bytes);
        JsonRequest request = construct(type, JsonFields.of(value));
        validate(request);
        return request;
    }

    private static void drain(InputStream entity) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = DRAIN_LIMIT_BYTES;
        int n;
        while (left > 0 && (n = entity.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
            left -= n;
        }
    }

    private static JsonValue parse(byte[] bytes) {
        try {
            return StrictJson.parse(bytes);
        } catch (StrictJson.Invalid e) {
            throw badRequest(e.field, e.getMessage());
        }
    }

    private static JsonRequest construct(Class<JsonRequest> type, JsonFields fields) {
        try {
            Method from = type.getMethod("from", JsonFields.class);
            return type.cast(from.invoke(null, fields));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + " must declare public static from(JsonFields)", e);
        }
    }

    static void validate(Object request) {
        Set<ConstraintViolation<Object>> violations = validator().validate(request);
        violations.stream()
                .min(Comparator.comparing(v -> v.getPropertyPath().toString()))
                .ifPresent(v -> {
                    throw badRequest(leaf(v.getPropertyPath()), v.getMessage());
                });
    }

    /** The field as the client wrote it: {@code type}, or {@code jobs[3].type} inside a list. */
    static String leaf(Path path) {
        StringBuilder name = new StringBuilder();
        for (Path.Node node : path) {
            if (node.isInIterable() && node.getIndex() != null && !name.isEmpty()) {
                name.append('[').append(node.getIndex()).append(']');
            }
            if (node.getName() != null && !node.getName().startsWith("<")) {
                name.append(name.isEmpty() ? "" : ".").append(node.getName());
            }
        }
        return name.isEmpty() ? "body" : name.toString();
    }

    private static Validator validator() {
        if (validator == null) {
            validator = Validation.buildDefaultValidatorFactory().getValidator();
        }
        return validator;
    }
}
