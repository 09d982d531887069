package dev.meridian.spring;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.ManualClock;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.LocalOriginResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.SimpleObjectProvider;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.client.ResourceAccessException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The balancer driven as Spring Cloud's clients drive it, without a context: {@code choose}, then
 * {@code onStartRequest} and {@code onComplete} with the {@code CompletionContext} that
 * {@code BlockingLoadBalancerClient.execute} and {@code ReactorLoadBalancerExchangeFilterFunction.filter}
 * build ({@code SUCCESS} with {@code ResponseData}, {@code FAILED} with the exception, {@code DISCARD}).
 * The cluster runs on a {@link ManualClock}; ejections are awaited through its listener.
 */
class MeridianServiceInstanceLoadBalancerTest {

    private static final Request<?> REQUEST = new DefaultRequest<>();
    private static final ServiceInstance A = instance("a", 8001, "r1", "z1");
    private static final ServiceInstance B = instance("b", 8002, "r1", "z2");
    private static final ServiceInstance C = instance("c", 8003, "r2", "z1");

    private final ManualClock clock = new ManualClock();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final ListSupplier supplier = new ListSupplier();
    private ControlThread control;
    private MeridianServiceInstanceLoadBalancer balancer;

    private static ServiceInstance instance(String id, int port, String region, String zone) {
        return new DefaultServiceInstance(id, "reviews", "10.0.0.1", port, false, Map.of("region", region, "zone", zone));
    }

    @BeforeEach
    void start() {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", Map.of(
                "meridian.loadbalancer.region", "r1",
                "meridian.loadbalancer.outlier-detection.consecutive-5xx-errors", "3",
                "meridian.loadbalancer.outlier-detection.max-ejection-percent", "100")));
        control = ControlThread.start("test-control", Duration.ofMillis(5));
        balancer = MeridianServiceInstanceLoadBalancer.builder("reviews", new SimpleObjectProvider<>(supplier),
                        MeridianLoadBalancerProperties.read(env, "reviews", "z1"))
                .controlThread(control)
                .clock(clock)
                .listener(new EjectionListener() {
                    @Override
                    public void onEjected(EndpointTable table, int hostId, EjectionType type, long at, long until) {
                        events.add("ejected " + table.address(hostId));
                    }

                    @Override
                    public void onReturned(EndpointTable table, int hostId, long atNanos) {
                        events.add("returned " + table.address(hostId));
                    }
                })
                .build();
        supplier.instances = List.of(A, B, C);
    }

    @AfterEach
    void stop() {
        balancer.close();
        control.close();
    }

    private Response<ServiceInstance> choose() {
        return Mono.from(balancer.choose(REQUEST)).block(Duration.ofSeconds(30));
    }

    /** The id of the instance one choice picks. */
    private String chosen() {
        return choose().getServer().getInstanceId();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void complete(Response<ServiceInstance> response, CompletionContext.Status status, Object clientResponse,
                          Throwable failure) {
        balancer.onStartRequest((Request) REQUEST, response);
        balancer.onComplete(new CompletionContext<>(status, failure, (Request) REQUEST, response, clientResponse));
    }

    private static ResponseData status(int code) {
        return new ResponseData(HttpStatusCode.valueOf(code), new HttpHeaders(), new LinkedMultiValueMap<>(), null);
    }

    @Test
    void aChoiceThatSeesANewListPicksFromIt() {
        for (int round = 0; round < 5; round++) {
            supplier.instances = List.of(B, C);
            assertThat(chosen()).isEqualTo("b");
            supplier.instances = List.of(C);
            assertThat(chosen()).isEqualTo("c");
            supplier.instances = List.of(A, B, C);
            assertThat(chosen()).isEqualTo("a");
        }
        supplier.instances = List.of();
        assertThat(choose()).isInstanceOf(EmptyResponse.class);
    }

    @Test
    void choicesRacingListChangesAlwaysPickAListedInstance() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            AtomicBoolean flipping = new AtomicBoolean(true);
            List<Future<Integer>> choosers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                choosers.add(threads.submit(() -> {
                    int chosen = 0;
                    while (flipping.get()) {
                        String id = chosen();
                        if (!id.equals("a") && !id.equals("b")) {
                            throw new AssertionError("chose " + id);
                        }
                        chosen++;
                    }
                    return chosen;
                }));
            }
            for (int i = 0; i < 200; i++) {
                supplier.instances = i % 2 == 0 ? List.of(B, C) : List.of(A, B, C);
                chosen();
            }
            flipping.set(false);
            for (Future<Integer> f : choosers) {
                assertThat(f.get(30, SECONDS)).isPositive();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aChoiceIsCountedInFlightOnceAndCompletedOnce() {
        Response<ServiceInstance> response = choose();
        PickedInstance picked = (PickedInstance) response.getServer();
        assertThat(picked).isEqualTo(choose().getServer()).hasSameHashCodeAs(choose().getServer());
        assertThat(picked.getUri()).isEqualTo(A.getUri());
        balancer.onStartRequest(null, response);
        balancer.onStartRequest(null, response);
        assertThat(picked.host.activeRequests()).isEqualTo(1);
        complete(response, CompletionContext.Status.SUCCESS, status(200), null);
        complete(response, CompletionContext.Status.SUCCESS, status(200), null);
        assertThat(picked.host.activeRequests()).isZero();
        // A choice completed before it started (a discarded request) leaves the count alone.
        Response<ServiceInstance> other = choose();
        balancer.onStartRequest(null, choose());
        balancer.onComplete(new CompletionContext<>(CompletionContext.Status.DISCARD, (Request) REQUEST, other));
        assertThat(picked.host.activeRequests()).isEqualTo(1);
    }

    @Test
    void consecutive5xxStatusesEjectAndTheNextChoiceGoesToTheSameRegion() throws Exception {
        for (int i = 0; i < 3; i++) {
            Response<ServiceInstance> r = choose();
            assertThat(r.getServer().getInstanceId()).isEqualTo("a");
            // A success without a status says only that the connection was made: it does not end the run.
            complete(choose(), CompletionContext.Status.SUCCESS, "not an HTTP response", null);
            complete(r, CompletionContext.Status.SUCCESS, status(503), null);
        }
        assertThat(events.poll(30, SECONDS)).isEqualTo("ejected 10.0.0.1:8001");
        assertThat(chosen()).isEqualTo("b");
        // Refused connections count as 5xx (no split of local-origin errors).
        for (int i = 0; i < 3; i++) {
            complete(choose(), CompletionContext.Status.FAILED, null,
                    new ResourceAccessException("I/O error", new ConnectException("Connection refused")));
        }
        assertThat(events.poll(30, SECONDS)).isEqualTo("ejected 10.0.0.1:8002");
        assertThat(chosen()).isEqualTo("c");
        // A failure that is not the host's (the caller's own exception) counts for nothing.
        for (int i = 0; i < 3; i++) {
            complete(choose(), CompletionContext.Status.FAILED, null, new IllegalStateException("bug in the caller"));
        }
        clock.advance(Duration.ofSeconds(30));
        assertThat(events.poll(30, SECONDS)).startsWith("returned");
        assertThat(events.poll(30, SECONDS)).startsWith("returned");
        assertThat(chosen()).isEqualTo("a");
        assertThat(events).isEmpty();
    }

    @Test
    void failuresAreClassifiedAsEnvoysRouterReportsThem() {
        assertThat(MeridianServiceInstanceLoadBalancer.classify(new ConnectException("refused")))
                .isEqualTo(LocalOriginResult.CONNECT_FAILED);
        assertThat(MeridianServiceInstanceLoadBalancer.classify(new HttpConnectTimeoutException("connect timed out")))
                .isEqualTo(LocalOriginResult.CONNECT_FAILED);
        assertThat(MeridianServiceInstanceLoadBalancer.classify(new SocketTimeoutException("Connect timed out")))
                .isEqualTo(LocalOriginResult.CONNECT_FAILED);
        assertThat(MeridianServiceInstanceLoadBalancer.classify(new SocketTimeoutException("Read timed out")))
                .isEqualTo(LocalOriginResult.TIMEOUT);
        assertThat(MeridianServiceInstanceLoadBalancer.classify(new HttpTimeoutException("request timed out")))
                .isEqualTo(LocalOriginResult.TIMEOUT);
        assertThat(MeridianServiceInstanceLoadBalancer.classify(new IllegalStateException(new TimeoutException())))
                .isEqualTo(LocalOriginResult.TIMEOUT);
        assertThat(MeridianServiceInstanceLoadBalancer.classify(
                new ResourceAccessException("I/O error", new IOException("Connection reset"))))
                .isEqualTo(LocalOriginResult.RESET);
        assertThat(MeridianServiceInstanceLoadBalancer.classify(new IllegalArgumentException("bad URI"))).isNull();
        assertThat(MeridianServiceInstanceLoadBalancer.classify(null)).isNull();
    }

    @Test
    void aBalancerWithoutAGivenControlThreadStartsAndStopsItsOwn() {
        MeridianServiceInstanceLoadBalancer own = MeridianServiceInstanceLoadBalancer.builder("ratings",
                new SimpleObjectProvider<>(supplier), balancer.properties()).build();
        assertThat(Mono.from(own.choose(REQUEST)).block(Duration.ofSeconds(30)).getServer().getInstanceId())
                .isEqualTo("a");
        own.close();
        // Closed: a new list can no longer be applied, and the choice says so instead of waiting.
        supplier.instances = List.of(B);
        assertThatThrownBy(() -> Mono.from(own.choose(REQUEST)).block(Duration.ofSeconds(30)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("control thread 'meridian-lb-ratings' is closed");
    }

    /** A discovery list the test replaces. */
    private static final class ListSupplier implements ServiceInstanceListSupplier {
        volatile List<ServiceInstance> instances = List.of();

        @Override
        public String getServiceId() {
            return "reviews";
        }

        @Override
        public Flux<List<ServiceInstance>> get() {
            return Flux.just(instances);
        }
    }
}
