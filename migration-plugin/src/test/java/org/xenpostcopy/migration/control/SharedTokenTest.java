package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SharedTokenTest {
    @Test
    void onlyTheExactTokenIsLetIn() {
        SharedToken t = new SharedToken("s3cret");
        assertDoesNotThrow(() -> t.check("s3cret"));
        for (String wrong : new String[] {null, "", "s3cre", "s3crett", "S3CRET"}) {
            assertEquals(RemoteError.UNAUTHORIZED, assertThrows(ControlException.class, () -> t.check(wrong)).error());
        }
    }

    @Test
    void anEmptyTokenLetsEveryoneIn() {
        assertDoesNotThrow(() -> new SharedToken("").check(null));
        assertDoesNotThrow(() -> SharedToken.none().check("anything"));
    }
}
