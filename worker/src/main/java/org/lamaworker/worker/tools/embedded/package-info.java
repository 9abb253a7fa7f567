/**
 * In-process development servers: a single-node Kafka broker and an S3 endpoint.
 *
 * <p>They are started only when the worker runs with no Kafka or S3 configured, and by tests.
 * Nothing on the production path uses them.
 */
package org.lamaworker.worker.tools.embedded;
