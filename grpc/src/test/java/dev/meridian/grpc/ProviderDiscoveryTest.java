package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The policy and the resolver are found the ways grpc-java finds them: by ServiceLoader, then by name. */
class ProviderDiscoveryTest {

    @Test
    void serviceLoaderFindsThePolicy() {
        assertThat(ServiceLoader.load(LoadBalancerProvider.class).stream().map(ServiceLoader.Provider::type))
                .contains(MeridianLocalityLoadBalancerProvider.class);
    }

    @Test
    void grpcsRegistryFindsThePolicyByName() {
        LoadBalancerProvider p = LoadBalancerRegistry.getDefaultRegistry().getProvider("meridian_locality");
        assertThat(p).isInstanceOf(MeridianLocalityLoadBalancerProvider.class);
        assertThat(p.getPolicyName()).isEqualTo(MeridianLocalityLoadBalancerProvider.POLICY_NAME);
        assertThat(p.isAvailable()).isTrue();
    }

    @Test
    void serviceLoaderFindsTheResolver() {
        assertThat(ServiceLoader.load(NameResolverProvider.class).stream().map(ServiceLoader.Provider::type))
                .contains(MeridianNameResolverProvider.class);
    }

    @Test
    void grpcsRegistryFindsTheResolverByScheme() {
        assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("meridian"))
                .isInstanceOf(MeridianNameResolverProvider.class);
    }
}
