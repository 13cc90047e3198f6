package io.fairqueue.security.control;

import jakarta.security.enterprise.credential.Credential;

public record BearerCredential(String token) implements Credential {}
