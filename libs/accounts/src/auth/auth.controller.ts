import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { CurrentUser, Principal, Public } from '../principal';
import { LoginDto, SignupDto } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  // @Ip() is Express's req.ip: the peer's address, or X-Forwarded-For's when the peer is a
  // trusted proxy ('trust proxy' in configureHttpApp).
  @Public()
  @Post('signup')
  @ApiTooManyRequestsResponse({ description: 'Too many sign-ups from this address (SIGNUP_MAX_PER_ADDRESS); Retry-After says when to try again.' })
  signup(@Body() body: SignupDto, @Ip() address: string | undefined) {
    return this.auth.signup(body.email, body.password, address);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this address or failures for this account; Retry-After says when to try again.' })
  login(@Body() body: LoginDto, @Ip() address: string | undefined) {
    return this.auth.login(body.email, body.password, address);
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: Principal) {
    return this.auth.me(user.userId);
  }
}
